// Reads a block's parameter section from the scenario with the block's own
// ParamTable (models/common/param_table.hpp): every field the table lists,
// range-checked, errors at file:line:col of the value; unknown keys refused.
#pragma once
#include "models/common/param_table.hpp"
#include "platform/yaml_reader.hpp"

namespace imcvp {

template <typename P>
void read_param_table(YamlMap m, const ParamTable<P>& table, P& out) {
  for (const ParamField<P>& f : table) {
    auto v = m.get(f.key);
    if (!v) continue;
    const double x = f.kind == ParamField<P>::Kind::Count ? double(v->as_uint32()) : v->as_double();
    if (auto problem = f.problem(x)) v->fail(*problem);
    f.set(out, x);
  }
  m.finish();
}

}  // namespace imcvp
