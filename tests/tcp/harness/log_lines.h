// LogLines: a trace sink that keeps the kernel-log lines a stack emits, in Linux's wording
// (stack::linux_log_text), so wire-level tests can assert the exact lines and their count.
#pragma once

#include <string>
#include <vector>

#include "stack/trace.h"

namespace synack::tcptest {

struct LogLines : stack::TraceSink {
  void on_event(const stack::Event& e) override {
    if (e.kind == stack::EventKind::kLog) lines.push_back(stack::linux_log_text(e));
  }
  std::vector<std::string> lines;
};

}  // namespace synack::tcptest
