// The compiler pipeline (compiler/pipeline.hpp): named passes, a technique
// pass inserted into the list, the golden reference's per-layer hook, the
// crossbar layout in placement, and program images with extension records
// (version 4): written, read back and checked.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "compiler/compile.hpp"
#include "compiler/ext_records.hpp"
#include "compiler/golden.hpp"
#include "compiler/onnx_import.hpp"
#include "compiler/pipeline.hpp"
#include "compiler/placement.hpp"
#include "compiler/program_image.hpp"
#include "compiler/weight_layout.hpp"
#include "imcvp/accel.h"

int sc_main(int, char*[]) { return 0; }

namespace fs = std::filesystem;
using namespace imcvp;
using namespace imcvp::compiler;

namespace {

std::string source_dir() {
  if (const char* env = std::getenv("IMCVP_SOURCE_DIR")) return env;
  return fs::path(__FILE__).parent_path().parent_path().parent_path().string();
}

// The CNN calibrated on a few synthetic images: no data set needed.
PipelineOptions cnn_options() {
  PipelineOptions o;
  o.compile.onnx_path = source_dir() + "/networks/fmnist_cnn.onnx";
  o.compile.dataset = kDatasetSynthetic;
  o.compile.calibration_images = 4;
  o.compile.eval_images = 0;
  o.chip.tiles = 2;
  o.chip.crossbars_per_tile = 64;
  o.chip.buffer_bytes = 256 * 1024;
  return o;
}

const QuantizedNetwork& cnn() {
  static const QuantizedNetwork q = [] {
    PipelineOptions o = cnn_options();
    o.chip.tiles = 0;  // front end only
    return run_pipeline(o).report.network;
  }();
  return q;
}

std::vector<std::string> names(const std::vector<Pass>& passes) {
  std::vector<std::string> n;
  for (const Pass& p : passes) n.push_back(p.name);
  return n;
}

std::string read_error(const std::vector<std::uint8_t>& b) {
  try {
    read_program_image(b);
  } catch (const CompileError& e) {
    return e.what();
  }
  return "accepted";
}

// Rewrites the header's CRC after editing the payload.
void fix_crc(std::vector<std::uint8_t>& b) {
  const std::uint32_t crc = crc32(b.data() + sizeof(imcvp_image_header), b.size() - sizeof(imcvp_image_header));
  std::memcpy(b.data() + offsetof(imcvp_image_header, payload_crc32), &crc, sizeof crc);
}

}  // namespace

TEST(Pipeline, DefaultPassesInOrder) {
  PipelineOptions o = cnn_options();
  EXPECT_EQ(names(default_passes(o)),
            (std::vector<std::string>{"import", "hybrid-fuse", "quantize", "hybrid-quantize", "basisn", "sme", "place", "lower",
                                      "layout-weights", "plan-memory", "serialize"}));
  o.compile.eval_images = 10;
  o.chip.tiles = 0;
  EXPECT_EQ(names(default_passes(o)),
            (std::vector<std::string>{"import", "hybrid-fuse", "quantize", "hybrid-quantize", "basisn", "sme", "evaluate"}));
}

TEST(Pipeline, GivesTheSameImageAsTheBuilder) {
  const PipelineOptions o = cnn_options();
  const CompileState s = run_pipeline(o);
  EXPECT_EQ(s.passes_run, names(default_passes(o)));
  const Placement pl = place(s.network(), o.chip);
  EXPECT_EQ(s.image_bytes, write_program_image(s.network(), pl));
  EXPECT_EQ(s.image_bytes, serialize_program_image(s.image));
}

TEST(Pipeline, ATechniquePassSetsLayerAttributes) {
  const PipelineOptions o = cnn_options();
  std::vector<Pass> passes = default_passes(o);
  insert_pass_after(passes, "quantize", {"mark", [](CompileState& s) {
                                           for (Layer& l : s.network().net.layers)
                                             if (l.has_weights()) l.attrs.technique = "mark";
                                         }});
  const std::vector<std::string> n = names(passes);
  ASSERT_EQ(n.at(3), "mark");  // import, hybrid-fuse, quantize, mark
  const CompileState s = run_pipeline(o, passes);
  EXPECT_EQ(s.passes_run.at(3), "mark");
  for (const Layer& l : s.network().net.layers) EXPECT_EQ(l.attrs.technique, l.has_weights() ? "mark" : "") << l.name;
  EXPECT_THROW(insert_pass_after(passes, "no-such-pass", {"x", [](CompileState&) {}}), CompileError);
  remove_pass(passes, "serialize");
  EXPECT_EQ(names(passes).back(), "plan-memory");
}

TEST(Pipeline, AFailingPassIsNamed) {
  PipelineOptions o = cnn_options();
  o.compile.onnx_path = "missing.onnx";
  try {
    run_pipeline(o);
    FAIL() << "compiled";
  } catch (const PassError& e) {
    EXPECT_EQ(e.pass, "import");
    EXPECT_NE(std::string(e.what()).find("missing.onnx"), std::string::npos) << e.what();
  }
  o = cnn_options();
  o.chip.crossbars_per_tile = 8;
  try {
    run_pipeline(o);
    FAIL() << "placed";
  } catch (const PassError& e) {
    EXPECT_EQ(e.pass, "place");
    EXPECT_NE(std::string(e.what()).find("crossbars"), std::string::npos) << e.what();
  }
}

// A stop request (CompileOptions::stop): checked before every pass and in
// the long loops, it ends the pipeline with CompileInterrupted naming the
// pass, not a PassError.
TEST(Pipeline, AStopRequestEndsItNamingThePass) {
  std::atomic<bool> stop{false};
  PipelineOptions o = cnn_options();
  o.compile.stop = &stop;
  std::vector<Pass> passes = default_passes(o);
  insert_pass_after(passes, "lower", {"ctrl-c", [&](CompileState&) { stop = true; }});
  CompileState s;
  s.options = o;
  try {
    run_passes(s, passes);
    FAIL() << "compiled";
  } catch (const PassError& e) {
    FAIL() << "a PassError: " << e.what();
  } catch (const CompileInterrupted& e) {
    EXPECT_EQ(e.pass, "layout-weights");
    EXPECT_EQ(std::string(e.what()), "the compile was interrupted in pass layout-weights");
  }
  EXPECT_EQ(s.passes_run, (std::vector<std::string>{"import", "hybrid-fuse", "quantize", "hybrid-quantize", "basisn", "sme", "place",
                                                    "lower", "ctrl-c"}));
  // set from the start: nothing runs
  CompileState t;
  t.options = o;
  try {
    run_passes(t, default_passes(o));
    FAIL() << "compiled";
  } catch (const CompileInterrupted& e) {
    EXPECT_EQ(e.pass, "import");
  }
  EXPECT_TRUE(t.passes_run.empty());
  // the loops themselves: calibration, evaluation, the weight layout
  const ImageSet imgs = make_random_images(1, 28, 28, 8, 1);
  EXPECT_THROW(calibrate(import_onnx(o.compile.onnx_path), imgs, 0, {}, &stop), CompileInterrupted);
  EXPECT_THROW(evaluate(cnn(), imgs, 0, 1, &stop), CompileInterrupted);
  EXPECT_THROW(layout_weights(cnn(), place(cnn(), o.chip), true, &stop), CompileInterrupted);
  stop = false;
  EXPECT_EQ(evaluate(cnn(), imgs, 0, 1, &stop).images, 8u);
  EXPECT_EQ(calibrate(import_onnx(o.compile.onnx_path), imgs, 0, {}, &stop),
            calibrate(import_onnx(o.compile.onnx_path), imgs, 0));
}

TEST(GoldenHook, ReplacesOneLayersOutput) {
  QuantizedNetwork q = cnn();
  std::vector<std::uint8_t> pixels(q.net.input_shape().size());
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::uint8_t(i * 37);
  GoldenModel plain(cnn());
  const std::vector<std::int32_t> logits = plain.run(pixels.data());
  // the first Conv layer's output replaced by a pattern
  std::size_t li = 0;
  while (!q.net.layers[li].has_weights()) ++li;
  const Layer& target = q.net.layers[li];
  int calls = 0;
  std::vector<std::int32_t> seen_input;
  q.net.layers[li].attrs.golden = [&](const GoldenLayerCall& c) {
    ++calls;
    seen_input = c.input;
    for (std::size_t i = 0; i < c.output.size(); ++i) c.output[i] = std::int32_t(i % 5);
  };
  GoldenModel hooked(q);
  const std::vector<std::int32_t> out = hooked.run(pixels.data());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen_input, plain.tensor(target.inputs[0]));
  const std::vector<std::int32_t>& t = hooked.tensor(target.output);
  ASSERT_EQ(t.size(), target.out.size());
  for (std::size_t i = 0; i < t.size(); ++i) ASSERT_EQ(t[i], std::int32_t(i % 5)) << i;
  EXPECT_NE(t, plain.tensor(target.output));
  EXPECT_NE(out, logits);  // the change reaches the logits
  // a hook that computes the standard arithmetic changes nothing
  q.net.layers[li].attrs.golden = [&](const GoldenLayerCall& c) {
    GoldenModel ref(cnn());
    ref.run(pixels.data());
    c.output = ref.tensor(c.layer.output);
  };
  GoldenModel same(q);
  EXPECT_EQ(same.run(pixels.data()), logits);
}

TEST(PlacementLayout, CountsComeFromTheCrossbarLayout) {
  const QuantizedNetwork& q = cnn();
  const PipelineOptions o = cnn_options();
  const CrossbarParams& p = o.chip.crossbar;
  const Placement pl = place(q, o.chip);
  unsigned total = 0;
  for (std::size_t i = 0; i < q.net.layers.size(); ++i) {
    const Layer& l = q.net.layers[i];
    if (!l.has_weights()) {
      EXPECT_EQ(crossbars_needed(l, p), 0u);
      continue;
    }
    const CrossbarLayout lay = layer_layout(l, p);
    EXPECT_EQ(crossbars_needed(l, p), lay.crossbars()) << l.name;
    EXPECT_EQ(cells_used(l, p), std::uint64_t(l.fan_in()) * std::uint64_t(l.out.c) * p.cols_per_output()) << l.name;
    EXPECT_EQ(pl.layers[i].crossbars(), lay.crossbars()) << l.name;
    unsigned in_slices = 0;
    for (const LayerSlice& s : pl.layers[i].slices) in_slices += slice_layout(l, p, s).crossbars();
    EXPECT_EQ(in_slices, lay.crossbars()) << l.name;
    total += lay.crossbars();
  }
  EXPECT_EQ(pl.crossbars_needed, total);
}

TEST(ImageExt, XbarListRecordRoundTrips) {
  const PipelineOptions o = cnn_options();
  const CompileState plain = run_pipeline(o);
  // a technique pass gives the first FC layer a crossbar list
  std::vector<Pass> passes = default_passes(o);
  const std::vector<std::uint8_t> ext = xbar_list_record({5, 3, 9});
  ASSERT_EQ(ext.size(), 4u + 8u);  // header, count + 3 indices = 8 bytes
  insert_pass_after(passes, "quantize", {"xbar-list", [&](CompileState& s) {
                                           for (Layer& l : s.network().net.layers)
                                             if (l.kind == LayerKind::FullyConnected) {
                                               l.attrs.ext = ext;
                                               break;
                                             }
                                         }});
  const CompileState s = run_pipeline(o, passes);
  const ProgramImage img = read_program_image(s.image_bytes);
  EXPECT_EQ(img.version, kImageVersion);
  EXPECT_EQ(serialize_program_image(img), s.image_bytes);  // byte for byte
  ASSERT_EQ(img.layers.size(), plain.image.layers.size());
  int with_ext = 0;
  for (std::size_t i = 0; i < img.layers.size(); ++i) {
    const ImageLayer& l = img.layers[i];
    EXPECT_EQ(l.desc.ext_bytes, l.ext.size());
    if (l.ext.empty()) continue;
    ++with_ext;
    EXPECT_EQ(l.ext, ext);
    const std::vector<ExtRecord> r = parse_ext_records(l.ext, "test");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].type, IMCVP_EXT_XBAR_LIST);
    ASSERT_EQ(r[0].payload.size(), 8u);
    std::uint16_t v[4];
    std::memcpy(v, r[0].payload.data(), 8);
    EXPECT_EQ(v[0], 3);
    EXPECT_EQ(v[1], 5);
    EXPECT_EQ(v[2], 3);
    EXPECT_EQ(v[3], 9);
    // its descriptor slot holds the records: no other record's descriptor or
    // parameters on the tile overlap [desc_off, desc_off + 72 + ext)
    const std::uint32_t end = l.desc_off + IMCVP_LAYER_DESC_SIZE + std::uint32_t(l.ext.size());
    for (const ImageLayer& o2 : img.layers) {
      if (&o2 == &l || o2.tile != l.tile || o2.desc.op == IMCVP_IMAGE_OP_COPY) continue;
      EXPECT_TRUE(o2.desc_off >= end || o2.desc_off + IMCVP_LAYER_DESC_SIZE + o2.ext.size() <= l.desc_off);
      if (!o2.params.empty()) {
        EXPECT_GE(o2.desc.param_off, end);
      }
    }
    // everything but the buffer offsets (the slot is longer) is as without the record
    LayerDesc a = l.desc, b = plain.image.layers[i].desc;
    a.ext_bytes = 0;
    a.param_off = b.param_off = a.in_off = b.in_off = a.in2_off = b.in2_off = a.out_off = b.out_off = 0;
    EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0);
  }
  EXPECT_GE(with_ext, 1);
  EXPECT_EQ(img.programs.size(), plain.image.programs.size());
  for (std::size_t i = 0; i < img.programs.size(); ++i) EXPECT_EQ(img.programs[i].levels, plain.image.programs[i].levels);
}

TEST(ImageExt, MalformedRecordsAreRejected) {
  std::vector<std::uint8_t> ext;
  const std::uint8_t payload[6] = {1, 2, 3, 4, 5, 6};
  append_ext_record(ext, IMCVP_EXT_USER_FIRST, payload, sizeof payload);
  ASSERT_EQ(ext.size(), 4u + 8u);  // padded to 4
  EXPECT_EQ(parse_ext_records(ext, "x").at(0).payload[5], 6);
  EXPECT_EQ(parse_ext_records(ext, "x").at(0).payload[6], 0);
  std::vector<std::uint8_t> bad = ext;
  bad.resize(10);
  EXPECT_THROW(parse_ext_records(bad, "x"), CompileError);  // not a multiple of 4
  bad = ext;
  bad[2] = 12;  // payload runs past the end
  try {
    parse_ext_records(bad, "layer fc1");
    FAIL();
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("layer fc1: extension record of type 32768 at byte 0"), std::string::npos)
        << e.what();
  }
  bad = ext;
  bad[2] = 6;  // payload not a multiple of 4
  EXPECT_THROW(parse_ext_records(bad, "x"), CompileError);

  // a layer attribute with a malformed record: lowering names the layer
  PipelineOptions o = cnn_options();
  std::vector<Pass> passes = default_passes(o);
  insert_pass_after(passes, "quantize", {"bad", [&](CompileState& s) { s.network().net.layers[0].attrs.ext = bad; }});
  try {
    run_pipeline(o, passes);
    FAIL();
  } catch (const PassError& e) {
    EXPECT_EQ(e.pass, "lower");
    EXPECT_NE(std::string(e.what()).find("layer " + cnn().net.layers[0].name), std::string::npos) << e.what();
  }

  // an image whose record claims more bytes than its ext_bytes, CRC fixed up
  passes = default_passes(o);
  insert_pass_after(passes, "quantize", {"ok", [&](CompileState& s) { s.network().net.layers[0].attrs.ext = ext; }});
  std::vector<std::uint8_t> b = run_pipeline(o, passes).image_bytes;
  ASSERT_EQ(read_error(b), "accepted");
  imcvp_image_header h;
  std::memcpy(&h, b.data(), sizeof h);
  imcvp_image_layer rec;
  std::memcpy(&rec, b.data() + h.layers_off, sizeof rec);
  ASSERT_EQ(rec.desc.ext_bytes, ext.size());
  b[rec.ext_off + 2] = 40;  // record payload of 40 bytes in 12 bytes of records
  fix_crc(b);
  EXPECT_NE(read_error(b).find("runs past"), std::string::npos) << read_error(b);
  b[rec.ext_off + 2] = 8;
  rec.ext_off = h.image_bytes;  // outside the data section
  std::memcpy(b.data() + h.layers_off, &rec, sizeof rec);
  fix_crc(b);
  EXPECT_NE(read_error(b).find("outside the levels section"), std::string::npos) << read_error(b);
}

TEST(ImageExt, OlderVersionSaysRecompile) {
  std::vector<std::uint8_t> b = run_pipeline(cnn_options()).image_bytes;
  for (std::uint8_t v : {2, 3, 4}) {
    b[4] = v;
    b[5] = 0;
    EXPECT_NE(read_error(b).find("program image: version " + std::to_string(v) + ", this reader knows version " +
                                 std::to_string(kImageVersion) + "; recompile the network"),
              std::string::npos)
        << read_error(b);
  }
}

// A technique pass after quantize gives FC layers block data and per-slice
// records: they reach the image (version 4) and read back byte for byte.
TEST(ImageExt, BlockDataAndSliceExtFromAPass) {
  const PipelineOptions o = cnn_options();
  std::vector<Pass> passes = default_passes(o);
  insert_pass_after(passes, "quantize", {"blocks", [](CompileState& s) {
                                           for (Layer& l : s.network().net.layers)
                                             if (l.kind == LayerKind::FullyConnected) {
                                               l.attrs.block_data = {{IMCVP_BLOCK_SLOT_USER_FIRST, 0x40,
                                                                      std::vector<std::uint8_t>(12, 0xA5)}};
                                               l.attrs.slice_ext = [](unsigned c0, unsigned, unsigned) {
                                                 std::vector<std::uint8_t> r;
                                                 append_ext_record(r, IMCVP_EXT_USER_FIRST, &c0, 4);
                                                 return r;
                                               };
                                             }
                                         }});
  const CompileState s = run_pipeline(o, passes);
  const ProgramImage img = read_program_image(s.image_bytes);
  EXPECT_EQ(serialize_program_image(img), s.image_bytes);
  ASSERT_FALSE(img.block_data.empty());
  for (const ImageBlockData& e : img.block_data) {
    EXPECT_EQ(e.slot, IMCVP_BLOCK_SLOT_USER_FIRST);
    EXPECT_EQ(e.offset, 0x40u);
    EXPECT_EQ(e.bytes, std::vector<std::uint8_t>(12, 0xA5));
  }
  int with_ext = 0;
  for (const ImageLayer& l : img.layers) {
    if (l.ext.empty()) continue;
    ++with_ext;
    const std::vector<ExtRecord> r = parse_ext_records(l.ext, "test");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].type, IMCVP_EXT_USER_FIRST);
  }
  EXPECT_EQ(with_ext, 2);  // the two FC layers, one slice each
}
