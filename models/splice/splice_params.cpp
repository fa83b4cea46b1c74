#include "models/splice/splice_params.hpp"

namespace imcvp {

const ParamTable<SpliceParams>& splice_param_table() {
  using F = ParamField<SpliceParams>;
  static const ParamTable<SpliceParams> t{
      {F::count("table_bytes", &SpliceParams::table_bytes, "bytes of the index-table memory", IMCVP_SPLICE_TABLE_MEM_MAX),
       F::count("word_bits", &SpliceParams::word_bits, "bits per table memory read", 1024),
       F::count("lanes", &SpliceParams::lanes, "shift-add lanes", 4096),
       F::real("clock_ns", &SpliceParams::clock_ns, 1e-3, 1e6, "the splice unit's clock period"),
       F::energy("read_pj", &SpliceParams::read_pj, "per table memory read"),
       F::energy("add_pj", &SpliceParams::add_pj, "per column shift-add"),
       F::real("sram_cell_f2", &SpliceParams::sram_cell_f2, 1.0, 1e5, "SRAM bit cell area in F^2"),
       F::real("rram_cell_f2", &SpliceParams::rram_cell_f2, 1.0, 1e5, "RRAM 1T1R cell area in F^2")}};
  return t;
}

}  // namespace imcvp
