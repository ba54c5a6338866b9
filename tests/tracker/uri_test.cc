#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "backend.h"
#include "temp_dir.h"
#include "vigil/tracker.h"

namespace vigil::tracker {
namespace {

/// Sets or clears an environment variable for one test, restoring it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

/// Changes the working directory for one test.
class ScopedCwd {
 public:
  explicit ScopedCwd(const std::filesystem::path& dir) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~ScopedCwd() { std::filesystem::current_path(old_); }

 private:
  std::filesystem::path old_;
};

TEST(StoreUri, ExplicitBeatsEnvironmentBeatsDefault) {
  ScopedEnv env("VIGIL_STORE", "/tmp/from-env.db");
  EXPECT_EQ(Store::resolve_uri("/x/explicit.db"), "/x/explicit.db");
  EXPECT_EQ(Store::resolve_uri(""), "/tmp/from-env.db");
  ScopedEnv empty("VIGIL_STORE", "");
  EXPECT_EQ(Store::resolve_uri(""), "./.vigil/vigil.db");
  ScopedEnv unset("VIGIL_STORE", nullptr);
  EXPECT_EQ(Store::resolve_uri(""), "./.vigil/vigil.db");
}

TEST(StoreUri, ParsesPlainPathsAndSqliteUris) {
  EXPECT_EQ(detail::parse_store_uri("runs.db").path, "runs.db");
  EXPECT_EQ(detail::parse_store_uri("./a/b.db").path, "./a/b.db");
  EXPECT_EQ(detail::parse_store_uri("sqlite:///abs/path.db").path, "/abs/path.db");
  EXPECT_EQ(detail::parse_store_uri("sqlite:///abs/path.db").scheme, "sqlite");
  EXPECT_EQ(detail::parse_store_uri("dir with :// inside/x.db").path, "dir with :// inside/x.db");
}

TEST(StoreUri, ParsesPostgresqlUrisWholeForLibpq) {
  for (const char* uri : {"postgresql://u@host:5432/db?sslmode=require", "postgres:///db"}) {
    EXPECT_EQ(detail::parse_store_uri(uri).scheme, "postgresql");
    EXPECT_EQ(detail::parse_store_uri(uri).path, uri);
  }
}

TEST(StoreUri, RejectsOtherSchemesNamingTheSupportedOnes) {
  for (const char* uri : {"mysql://host/db", "file:///tmp/x.db", "http://x"}) {
    try {
      Store store(uri);
      FAIL() << "accepted " << uri;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("sqlite:///PATH, postgresql://"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find(uri), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(detail::parse_store_uri("sqlite://relative.db"), InvalidArgument);
}

TEST(StoreUri, EnvironmentVariableSelectsTheStore) {
  testing::TempDir dir;
  const std::string path = dir.file("env/nested/store.db");
  ScopedEnv env("VIGIL_STORE", path.c_str());
  {
    Store store;
    EXPECT_EQ(store.uri(), path);
    store.start_run().finish();
  }
  EXPECT_TRUE(std::filesystem::exists(path));  // directories created on first use
  Store again("sqlite://" + path);
  EXPECT_EQ(again.list_runs().size(), 1u);
}

TEST(StoreUri, DefaultsToDotVigilInWorkingDirectory) {
  testing::TempDir dir;
  ScopedEnv unset("VIGIL_STORE", nullptr);
  ScopedCwd cwd(dir.path());
  {
    Store store;
    store.start_run().finish();
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() / ".vigil" / "vigil.db"));
}

}  // namespace
}  // namespace vigil::tracker
