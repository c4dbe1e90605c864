// Listener: a socket in LISTEN — the counts of its two queues (SPEC §5.1-§5.3) and its SYN
// flood state (SPEC §6).
//
// The SYN queue is not a list here: its entries are request records (tcp/request_record.h)
// in the stack's request table, each pointing back to its listener, and the listener only
// counts them (syn_queue_len, young_len as Linux's qlen/young). The accept queue is an
// intrusive FIFO of full Tcbs through Tcb::accept_next, so queueing allocates nothing.
//
// Limits (Linux 6.x, SPEC §5.2, §5.3): both queues are "full" when their length EXCEEDS
// max_ack_backlog = min(backlog, net.core.somaxconn).
//
// Single-threaded like the rest of the core.
#pragma once

#include <cstdint>

#include "tcp/fastopen.h"
#include "tcp/syncookie.h"
#include "tcp/tcb.h"

namespace synack::tcp {

class Listener {
 public:
  wire::Ipv4Address local_addr;  // any() for a wildcard listener
  uint16_t local_port = 0;
  uint32_t socket = 0;
  uint32_t max_ack_backlog = 0;
  uint32_t syn_queue_len = 0;  // request records (Linux reqsk_queue_len())
  uint32_t young_len = 0;      // ... whose SYN+ACK was never retransmitted (Linux young)
  uint32_t accept_len = 0;
  SynqOverflowStamp overflow;    // last SYN answered with a cookie (Linux tcp_synq_overflow())
  bool synflood_warned = false;  // the SYN flood log line was written (once per listener)
  TcbOptions opt;                // inherited by every child, as Linux clones the listener's options
  FastOpenListener fastopen;     // TCP_FASTOPEN queue limit and Fast Open children (SPEC §13.2)

  [[nodiscard]] bool syn_queue_full() const { return syn_queue_len > max_ack_backlog; }
  [[nodiscard]] bool accept_queue_full() const { return accept_len > max_ack_backlog; }

  void push_accept(Tcb& t) {
    t.accept_next = nullptr;
    if (tail_ != nullptr) {
      tail_->accept_next = &t;
    } else {
      head_ = &t;
    }
    tail_ = &t;
    t.queued = true;
    ++accept_len;
  }
  Tcb* pop_accept() {
    Tcb* t = head_;
    if (t == nullptr) return nullptr;
    head_ = t->accept_next;
    if (head_ == nullptr) tail_ = nullptr;
    t->accept_next = nullptr;
    t->queued = false;
    --accept_len;
    return t;
  }
  // Removes `t` from the accept queue if it is there (a queued child was reset).
  bool unlink_accept(Tcb& t) {
    Tcb* prev = nullptr;
    for (Tcb* c = head_; c != nullptr; prev = c, c = c->accept_next) {
      if (c != &t) continue;
      (prev != nullptr ? prev->accept_next : head_) = c->accept_next;
      if (tail_ == c) tail_ = prev;
      c->accept_next = nullptr;
      c->queued = false;
      --accept_len;
      return true;
    }
    return false;
  }
  [[nodiscard]] Tcb* accept_head() const { return head_; }

 private:
  Tcb* head_ = nullptr;
  Tcb* tail_ = nullptr;
};

}  // namespace synack::tcp
