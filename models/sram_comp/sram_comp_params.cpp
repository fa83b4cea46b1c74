#include "models/sram_comp/sram_comp_params.hpp"

namespace imcvp {

const ParamTable<SramCompParams>& sram_comp_param_table() {
  using F = ParamField<SramCompParams>;
  static const ParamTable<SramCompParams> t{
      {F::count("sram_bytes_per_crossbar", &SramCompParams::sram_bytes_per_crossbar,
                "SRAM bytes beside each crossbar macro", 0xF000),
       F::count("word_bits", &SramCompParams::word_bits, "bits per SRAM read", 1024),
       F::count("pes", &SramCompParams::pes, "MAC units (processing elements)", 4096),
       F::real("clock_ns", &SramCompParams::clock_ns, 1e-3, 1e6, "the macro's clock period"),
       F::energy("read_pj", &SramCompParams::read_pj, "per SRAM word read"),
       F::energy("mac_pj", &SramCompParams::mac_pj, "per multiply-accumulate"),
       F::energy("shift_add_pj", &SramCompParams::shift_add_pj, "per output shifted and added"),
       F::real("feature_nm", &SramCompParams::feature_nm, 1.0, 1e4, "technology feature size (area estimate)"),
       F::real("sram_cell_f2", &SramCompParams::sram_cell_f2, 1.0, 1e5, "SRAM bit cell area in F^2"),
       F::real("rram_cell_f2", &SramCompParams::rram_cell_f2, 1.0, 1e5, "RRAM 1T1R cell area in F^2")}};
  return t;
}

}  // namespace imcvp
