#include "vigil/rules/path.h"

#include <cmath>

#include <gtest/gtest.h>

#include "rules_test_util.h"

namespace vigil::rules {
namespace {

using testing::add_series;
using testing::make_run;

TEST(ValuePath, ParsesEveryRoot) {
  EXPECT_EQ(ValuePath::parse("params.optimizer.lr").root(), ValuePath::Root::kParams);
  EXPECT_EQ(ValuePath::parse("results.final_accuracy").root(), ValuePath::Root::kResults);
  EXPECT_EQ(ValuePath::parse("metrics.loss.last").root(), ValuePath::Root::kMetrics);
  EXPECT_EQ(ValuePath::parse("run.name").root(), ValuePath::Root::kRun);
  EXPECT_FALSE(ValuePath::parse("params.lr").needs_results());
  EXPECT_FALSE(ValuePath::parse("run.experiment").needs_results());
  EXPECT_TRUE(ValuePath::parse("results.x").needs_results());
  EXPECT_TRUE(ValuePath::parse("metrics.accuracy{subset=val}.max").needs_results());
}

TEST(ValuePath, RejectsMalformedTextNamingIt) {
  for (const char* bad : {"lr", "param.lr", "params.", "params..lr", "params.lr.", "metrics.loss",
                          "metrics.loss.median", "metrics.loss{subset.last", "run.owner", "",
                          "results", "metrics.*.last", "metrics.loss{subset=*}.last"}) {
    try {
      ValuePath::parse(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("expected"), std::string::npos) << e.what();
    }
  }
}

TEST(ValuePath, LooksUpNestedParamsAndResults) {
  auto run = make_run({{"optimizer", {{"lr", 0.01}, {"name", "adam"}}}, {"epochs", 5}},
                      {{"final_accuracy", 0.9}});
  EXPECT_EQ(*ValuePath::parse("params.optimizer.lr").lookup(run), 0.01);
  EXPECT_EQ(*ValuePath::parse("params.optimizer.name").lookup(run), "adam");
  EXPECT_EQ(*ValuePath::parse("params.epochs").lookup(run), 5);
  EXPECT_EQ(*ValuePath::parse("results.final_accuracy").lookup(run), 0.9);
  EXPECT_FALSE(ValuePath::parse("params.optimizer.momentum").lookup(run));
  EXPECT_FALSE(ValuePath::parse("params.epochs.value").lookup(run));  // not an object
  EXPECT_FALSE(ValuePath::parse("results.best_accuracy").lookup(run));
}

TEST(ValuePath, NullCountsAsMissing) {
  auto run = make_run({{"lr", nullptr}});
  EXPECT_FALSE(ValuePath::parse("params.lr").lookup(run));
}

TEST(ValuePath, ReadsMetricStatisticsWithCanonicalSeriesNames) {
  auto run = make_run();
  add_series(run, "accuracy{subset=val}", 0.8, 0.1, 0.85, 7);
  add_series(run, "loss", std::nan(""), 0.2, 3.0);
  EXPECT_EQ(*ValuePath::parse("metrics.accuracy{subset=val}.last").lookup(run), 0.8);
  EXPECT_EQ(*ValuePath::parse("metrics.accuracy{subset=val}.min").lookup(run), 0.1);
  EXPECT_EQ(*ValuePath::parse("metrics.accuracy{subset=val}.max").lookup(run), 0.85);
  EXPECT_EQ(*ValuePath::parse("metrics.accuracy{subset=val}.count").lookup(run), 7);
  EXPECT_EQ(*ValuePath::parse("metrics.loss.last").lookup(run), "NaN");
  EXPECT_FALSE(ValuePath::parse("metrics.accuracy.last").lookup(run));
  EXPECT_FALSE(ValuePath::parse("metrics.accuracy{subset=train}.last").lookup(run));
}

TEST(ValuePath, RunFieldsAndEmptyNameIsMissing) {
  auto run = make_run();
  EXPECT_EQ(*ValuePath::parse("run.name").lookup(run), "reference-run");
  EXPECT_EQ(*ValuePath::parse("run.experiment").lookup(run), "exp");
  EXPECT_EQ(*ValuePath::parse("run.status").lookup(run), "running");
  run.name.clear();
  EXPECT_FALSE(ValuePath::parse("run.name").lookup(run));
}

TEST(ValuePath, ResolveTakesFirstPresentAlternative) {
  PathAlternatives paths{ValuePath::parse("params.lr"), ValuePath::parse("params.learning_rate"),
                         ValuePath::parse("params.optimizer.lr")};
  auto run = make_run({{"optimizer", {{"lr", 0.01}}}, {"learning_rate", 0.02}});
  auto found = resolve(paths, run);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->path, "params.learning_rate");
  EXPECT_EQ(found->value, 0.02);
  EXPECT_FALSE(resolve(paths, make_run()));
  EXPECT_EQ(describe(paths), "params.lr | params.learning_rate | params.optimizer.lr");
}

TEST(ValuePath, WildcardMatchesEveryKeyWithItsConcretePath) {
  auto run = make_run({{"optimizers",
                        {{"generator", {{"lr", 0.0002}}},
                         {"discriminator", {{"lr", 0.0004}}},
                         {"ema", {{"decay", 0.99}}},
                         {"frozen", {{"lr", nullptr}}}}},
                       {"lr", 5}});
  const auto path = ValuePath::parse("params.optimizers.*.lr");
  EXPECT_TRUE(path.has_wildcard());
  EXPECT_FALSE(ValuePath::parse("params.optimizer.lr").has_wildcard());
  auto all = path.lookup_all(run);
  ASSERT_EQ(all.size(), 2u);  // keys in order; no lr (ema) or a null lr (frozen) is no match
  EXPECT_EQ(all[0].path, "params.optimizers.discriminator.lr");
  EXPECT_EQ(all[0].value, 0.0004);
  EXPECT_EQ(all[1].path, "params.optimizers.generator.lr");
  EXPECT_EQ(*path.lookup(run), 0.0004);  // lookup: the first match
  EXPECT_TRUE(ValuePath::parse("params.*.*.lr").lookup_all(run).size() == 2u);
  EXPECT_TRUE(ValuePath::parse("params.lr.*").lookup_all(run).empty());  // 5 is no object
  EXPECT_EQ(ValuePath::parse("params.optimizer.lr").lookup_all(make_run()).size(), 0u);

  PathAlternatives paths{ValuePath::parse("params.optimizer.lr"), path};
  auto found = resolve_all(paths, run);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(resolve(paths, run)->path, "params.optimizers.discriminator.lr");
  EXPECT_TRUE(resolve_all(paths, make_run()).empty());
}

}  // namespace
}  // namespace vigil::rules
