// Text bound for the terminal that may hold bytes from the user's files
// (ONNX node names, scenario values, file names): control characters are
// written as escapes, so a name cannot forge an extra "imcvp:" line or send
// escape sequences to the terminal. The one function every message goes
// through (platform/main.cpp).
#pragma once
#include <cstddef>
#include <string>

namespace imcvp {

// `text` with every control character escaped: \n \r \t as such, the other
// C0 bytes, DEL, the C1 controls (U+0080..U+009F) and bytes that are not
// UTF-8 as \xHH; backslashes stay as they are. keep_newlines: '\n' passes
// (multi-line tables and summaries).
inline std::string printable(const std::string& text, bool keep_newlines = false) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  auto escape = [&](unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  };
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n' && keep_newlines) {
      out += '\n';
      ++i;
    } else if (c == '\n' || c == '\r' || c == '\t') {
      out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t";
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      escape(c);
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else {
      // a UTF-8 sequence: its length from the lead byte, then continuation bytes
      std::size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
      if (len == 0 || i + len > text.size()) len = 0;
      for (std::size_t k = 1; k < len; ++k)
        if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) len = 0;
      const bool c1 = len == 2 && c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0;
      if (len == 0 || c1) {
        escape(c);
        ++i;
        if (c1) escape(static_cast<unsigned char>(text[i++]));
      } else {
        out.append(text, i, len);
        i += len;
      }
    }
  }
  return out;
}

}  // namespace imcvp
