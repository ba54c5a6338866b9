// The one tag rule (vigil/tracker/tags.h), as the Store applies it.
#include "vigil/tracker/tags.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::tracker {
namespace {

TEST(Tags, AcceptsPrintableUtf8UpToTheMaximumLength) {
  for (const char* tag : {"keep", "lr=0.1", "ünïcode", "日本", "a,b;c", "emoji-\U0001F600"}) {
    EXPECT_NO_THROW(check_tag(tag)) << tag;
  }
  EXPECT_NO_THROW(check_tag(std::string(kMaxTagLength, 'a')));
}

TEST(Tags, RefusesEscapesControlsSpacesAndOverlongTags) {
  for (const std::string& tag :
       {std::string("\x1b[2J"), std::string("a\0b", 3), std::string("two\nlines"),
        std::string("tab\t"), std::string("two words"), std::string("\x7f"),
        std::string("\xc2\x9b"
                    "31m"),  // C1 CSI
        std::string("rtl\u202eoverride"), std::string("zero\u200bwidth"),
        std::string("nb\u00a0space"), std::string("\xff\xfe"), std::string("\xc0\xaf"),
        std::string(""), std::string(kMaxTagLength + 1, 'a'), std::string(10'001, 'a')}) {
    EXPECT_THROW(check_tag(tag), InvalidArgument) << escape_for_terminal(tag);
  }
}

TEST(Tags, VerdictTagsAreRefusedBothWaysOtherTagsCanAlwaysBeRemoved) {
  for (const auto verdict : kVerdictTags) {
    EXPECT_TRUE(is_verdict_tag(verdict));
    EXPECT_THROW(check_tag(verdict, TagChange::kAdd), InvalidArgument);
    EXPECT_THROW(check_tag(verdict, TagChange::kRemove), InvalidArgument);
  }
  EXPECT_FALSE(is_verdict_tag("pass"));
  EXPECT_NO_THROW(check_tag("legacy\x1b[0m", TagChange::kRemove));
  EXPECT_THROW(check_tag("", TagChange::kRemove), InvalidArgument);
}

TEST(Tags, ErrorNamesTheTagEscapedAndShortened) {
  try {
    check_tag("\x1b[2J" + std::string(500, 'x'));
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\x1b'), std::string::npos) << message;
    EXPECT_NE(message.find("\\x1b[2J"), std::string::npos) << message;
    EXPECT_LT(message.size(), 200u) << message;
  }
}

TEST(Tags, StoreAppliesTheRuleToEveryWayOfAddingTags) {
  testing::TempDir dir;
  StoreOptions options;
  options.handle_signals = false;
  options.flush_interval = std::chrono::milliseconds(10);
  Store store(dir.file("store.db"), options);
  RunOptions run_options;
  run_options.tags = {"ok"};
  tracker::Run run = store.start_run(run_options);
  run.finish();
  EXPECT_THROW(store.add_tags(run.id(), {"fine", "\x1b[2J"}), InvalidArgument);
  EXPECT_THROW(store.add_tags(run.id(), {std::string(10'001, 'a')}), InvalidArgument);
  EXPECT_THROW(store.add_tags(run.id(), {"PASS"}), InvalidArgument);
  EXPECT_THROW(store.remove_tags(run.id(), {"validated"}), InvalidArgument);
  EXPECT_EQ(store.get_run(run.id()).tags, std::vector<std::string>{"ok"});  // nothing added
  RunOptions bad;
  bad.tags = {"new\nline"};
  EXPECT_THROW((void)store.start_run(bad), InvalidArgument);
}

}  // namespace
}  // namespace vigil::tracker
