// The report writer (platform/json_writer.hpp): always valid JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "platform/json_writer.hpp"

using imcvp::JsonWriter;

namespace {

std::string doc_of(double v) {
  std::ostringstream out;
  JsonWriter w(out);
  w.begin_object().value("x", v).end_object();
  return out.str();
}

}  // namespace

// Issue 14 (5): an inf total was written as `inf`, which is not JSON.
TEST(JsonWriter, NonFiniteNumbersAreNull) {
  EXPECT_EQ(doc_of(std::numeric_limits<double>::infinity()), "{\n  \"x\": null\n}\n");
  EXPECT_EQ(doc_of(-std::numeric_limits<double>::infinity()), "{\n  \"x\": null\n}\n");
  EXPECT_EQ(doc_of(std::nan("")), "{\n  \"x\": null\n}\n");
  EXPECT_EQ(doc_of(1e308 * 10), "{\n  \"x\": null\n}\n");
}

TEST(JsonWriter, FiniteNumbersAsBefore) {
  EXPECT_EQ(doc_of(1.5), "{\n  \"x\": 1.5\n}\n");
  EXPECT_EQ(doc_of(1e308), "{\n  \"x\": 1e+308\n}\n");
  EXPECT_EQ(doc_of(0.1), "{\n  \"x\": 0.1\n}\n");
}
