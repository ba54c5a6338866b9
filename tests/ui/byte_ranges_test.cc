#include "byte_ranges.h"

#include <string>

#include <gtest/gtest.h>

namespace vigil::ui {
namespace {

using Kind = RangeAnswer::Kind;

std::string spans(const RangeAnswer& answer) {
  std::string text;
  for (const auto& range : answer.ranges) {
    text += std::to_string(range.first) + "+" + std::to_string(range.length) + " ";
  }
  return text;
}

TEST(ByteRangesTest, ReadsRangeSpecsAgainstTheSize) {
  EXPECT_EQ(spans(parse_byte_ranges("bytes=0-9", 100)), "0+10 ");
  EXPECT_EQ(spans(parse_byte_ranges("bytes=90-", 100)), "90+10 ");
  EXPECT_EQ(spans(parse_byte_ranges("bytes=-10", 100)), "90+10 ");
  EXPECT_EQ(spans(parse_byte_ranges("bytes=-1000", 100)), "0+100 ");
  EXPECT_EQ(spans(parse_byte_ranges("bytes=50-1000", 100)), "50+50 ");
  EXPECT_EQ(spans(parse_byte_ranges("BYTES= 5-6 , ,20-29", 100)), "5+2 20+10 ");
  // In request order, not sorted.
  EXPECT_EQ(spans(parse_byte_ranges("bytes=20-29,0-0", 100)), "20+10 0+1 ");
  EXPECT_EQ(parse_byte_ranges("bytes=0-9", 100).kind, Kind::kPartial);
}

TEST(ByteRangesTest, RangesPastTheEndAreDroppedAndNoneLeftIsUnsatisfiable) {
  EXPECT_EQ(spans(parse_byte_ranges("bytes=0-1,100-200", 100)), "0+2 ");
  EXPECT_EQ(parse_byte_ranges("bytes=100-200", 100).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(parse_byte_ranges("bytes=-0", 100).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(parse_byte_ranges("bytes=0-", 0).kind, Kind::kUnsatisfiable);
}

TEST(ByteRangesTest, MalformedManyOrOverlappingRangesAreIgnored) {
  for (const char* header :
       {"", "bytes=", "bytes=,", "items=0-1", "bytes 0-1", "bytes=5-1", "bytes=a-1", "bytes=1",
        "bytes=--1", "bytes=1-2-3", "bytes=+1-2", "bytes=0-1,x", "bytes=0x10-20",
        "bytes=1234567890123456789-", "bytes=0-10,5-6", "bytes=-10,95-99"}) {
    const RangeAnswer answer = parse_byte_ranges(header, 100);
    EXPECT_EQ(answer.kind, Kind::kWhole) << header;
    EXPECT_TRUE(answer.ranges.empty()) << header;
  }
  std::string many = "bytes=0-0";
  for (std::size_t i = 1; i < kMaxByteRanges; ++i)
    many += "," + std::to_string(2 * i) + "-" + std::to_string(2 * i);
  EXPECT_EQ(parse_byte_ranges(many, 100).ranges.size(), kMaxByteRanges);
  EXPECT_EQ(parse_byte_ranges(many + ",90-91", 100).kind, Kind::kWhole);
  EXPECT_EQ(parse_byte_ranges("bytes=0-1" + std::string(kMaxRangeHeaderBytes, ' '), 100).kind,
            Kind::kWhole);
}

TEST(ByteRangesTest, WritesContentRangeAndMultipartBodies) {
  const ByteRange first{0, 2};
  const ByteRange second{4, 3};
  EXPECT_EQ(content_range(&second, 10), "bytes 4-6/10");
  EXPECT_EQ(content_range(nullptr, 10), "bytes */10");
  EXPECT_EQ(multipart_byteranges("abcdefghij", {first, second}, "text/plain", "B"),
            "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\nab\r\n"
            "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 4-6/10\r\n\r\nefg\r\n"
            "--B--\r\n");
}

}  // namespace
}  // namespace vigil::ui
