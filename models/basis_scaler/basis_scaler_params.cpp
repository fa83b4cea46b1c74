#include "models/basis_scaler/basis_scaler_params.hpp"

namespace imcvp {

const ParamTable<BasisScalerParams>& basis_scaler_param_table() {
  using F = ParamField<BasisScalerParams>;
  static const ParamTable<BasisScalerParams> t{
      {F::count("coef_bytes", &BasisScalerParams::coef_bytes, "bytes of the coefficient memory", IMCVP_BASIS_COEF_MEM_MAX),
       F::count("word_bits", &BasisScalerParams::word_bits, "bits per coefficient memory read", 1024),
       F::count("lanes", &BasisScalerParams::lanes, "multiply-accumulate lanes", 4096),
       F::real("clock_ns", &BasisScalerParams::clock_ns, 1e-3, 1e6, "the scaler's clock period"),
       F::energy("read_pj", &BasisScalerParams::read_pj, "per coefficient memory read"),
       F::energy("mac_pj", &BasisScalerParams::mac_pj, "per multiply-accumulate"),
       F::real("feature_nm", &BasisScalerParams::feature_nm, 1.0, 1e4, "technology feature size (area estimate)"),
       F::real("sram_cell_f2", &BasisScalerParams::sram_cell_f2, 1.0, 1e5, "SRAM bit cell area in F^2"),
       F::real("rram_cell_f2", &BasisScalerParams::rram_cell_f2, 1.0, 1e5, "RRAM 1T1R cell area in F^2")}};
  return t;
}

}  // namespace imcvp
