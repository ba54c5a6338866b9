#include "assets.h"

#include <regex>
#include <string>

#include <gtest/gtest.h>

namespace vigil::ui {
namespace {

TEST(Assets, ExactPathsOnly) {
  ASSERT_NE(find_asset("/"), nullptr);
  EXPECT_EQ(find_asset("/"), find_asset("/index.html"));
  EXPECT_NE(find_asset("/vendor/uPlot.iife.min.js"), nullptr);
  EXPECT_EQ(find_asset(""), nullptr);
  EXPECT_EQ(find_asset("index.html"), nullptr);
  EXPECT_EQ(find_asset("/./index.html"), nullptr);
  EXPECT_EQ(find_asset("/lib/../index.html"), nullptr);
  EXPECT_EQ(find_asset("/INDEX.HTML"), nullptr);
}

TEST(Assets, PageReferencesOnlyEmbeddedFiles) {
  const auto* index = find_asset("/index.html");
  ASSERT_NE(index, nullptr);
  const std::string html(index->data);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);  // no inline script (CSP)
  const std::regex reference(R"re((?:src|href)="(/[^"]*)")re");
  int count = 0;
  for (std::sregex_iterator it(html.begin(), html.end(), reference), end; it != end; ++it) {
    EXPECT_NE(find_asset((*it)[1].str()), nullptr) << (*it)[1].str();
    ++count;
  }
  EXPECT_GE(count, 4);
}

TEST(Assets, ModulesImportOnlyEmbeddedModules) {
  const std::regex import_from(R"re(from '(\./[^']+)')re");
  for (const auto path : asset_paths()) {
    const std::string name(path);
    if (name.size() < 3 || name.substr(name.size() - 3) != ".js" || name.find("/vendor/") == 0) {
      continue;
    }
    const auto* asset = find_asset(path);
    const std::string code(asset->data);
    EXPECT_EQ(code.find("innerHTML"), std::string::npos) << name;
    EXPECT_EQ(code.find("https://"), std::string::npos) << name;
    const std::string dir = name.substr(0, name.rfind('/') + 1);
    for (std::sregex_iterator it(code.begin(), code.end(), import_from), end; it != end; ++it) {
      const std::string target = dir + (*it)[1].str().substr(2);
      EXPECT_NE(find_asset(target), nullptr) << name << " imports " << target;
    }
  }
}

TEST(Assets, ContentTypes) {
  EXPECT_EQ(find_asset("/index.html")->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(find_asset("/app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(find_asset("/style.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(find_asset("/favicon.svg")->content_type, "image/svg+xml");
}

}  // namespace
}  // namespace vigil::ui
