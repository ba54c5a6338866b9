#pragma once

// SqliteBackend's transaction helpers, shared by its source files (sqlite_backend.cc: writes,
// sqlite_backend_read.cc: queries, sqlite_backend_governance.cc: policies, waivers, audit).

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>

#include "sqlite_backend.h"
#include "vigil/tracker/errors.h"

namespace vigil::tracker::detail {

/// A read transaction on the reader connection: one snapshot across several statements.
/// Ends (COMMIT, which cannot fail for a reader) when it goes out of scope.
class ReadTransaction {
 public:
  explicit ReadTransaction(Connection& reader) : reader_(reader) { reader_.exec("BEGIN"); }
  ~ReadTransaction() { sqlite3_exec(reader_.get(), "COMMIT", nullptr, nullptr, nullptr); }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Connection& reader_;
};

template <typename Body>
auto SqliteBackend::write(const char* what, Body&& body) {
  require_writable();
  std::lock_guard<std::mutex> lock(write_mu_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  for (;;) {
    try {
      Transaction transaction(writer_);
      if constexpr (std::is_void_v<decltype(body())>) {
        body();
        transaction.commit();
        return;
      } else {
        auto result = body();
        transaction.commit();
        return result;
      }
    } catch (const SqliteError& e) {
      if (e.is_full()) {
        throw StoreFull(std::string(what) + " failed in store " + path_ +
                        ": the disk is full: " + e.what());
      }
      if (!e.is_busy() || std::chrono::steady_clock::now() >= deadline) {
        throw Error(std::string(what) + " failed in store " + path_ + ": " + e.what());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

template <typename Body>
auto SqliteBackend::read(const char* what, Body&& body) {
  std::lock_guard<std::mutex> lock(read_mu_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    try {
      return body();
    } catch (const SqliteError& e) {
      if (!e.is_busy() || std::chrono::steady_clock::now() >= deadline) {
        throw Error(std::string(what) + " failed in store " + path_ + ": " + e.what());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

}  // namespace vigil::tracker::detail
