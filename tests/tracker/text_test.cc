// escape_for_terminal: stored text made safe for a terminal.
#include "vigil/tracker/text.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::tracker {
namespace {

TEST(Text, EscapesControlsAndKeepsPrintableUtf8) {
  EXPECT_EQ(escape_for_terminal("plain ünïcode 日本 \U0001F600"), "plain ünïcode 日本 \U0001F600");
  EXPECT_EQ(escape_for_terminal("\x1b[2J\x1b]0;title\x07"), "\\x1b[2J\\x1b]0;title\\x07");
  EXPECT_EQ(escape_for_terminal("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(escape_for_terminal(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(escape_for_terminal("\x7f"), "\\x7f");
  EXPECT_EQ(escape_for_terminal("\xc2\x9b"
                                "31m"),
            "\\u009b31m");                                  // C1 CSI
  EXPECT_EQ(escape_for_terminal("a\u202eb"), "a\\u202eb");  // bidi override
}

TEST(Text, ShowsBytesThatAreNotUtf8) {
  EXPECT_EQ(escape_for_terminal("\xff"), "\\xff");
  EXPECT_EQ(escape_for_terminal("\xc3"), "\\xc3");                    // truncated sequence
  EXPECT_EQ(escape_for_terminal("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(escape_for_terminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
}

TEST(Text, NothingEscapedCarriesAnEscapeByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  const std::string escaped = escape_for_terminal(all);
  for (unsigned char c : escaped) EXPECT_TRUE(c >= 0x20 && c != 0x7f) << int(c);
}

}  // namespace
}  // namespace vigil::tracker
