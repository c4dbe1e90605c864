// Engine: the TCP protocol core of one host — segment arrival, output, timers and the user
// calls — operating on Tcbs the stack owns. Sans-IO: time comes in as `now`, packets leave
// through the PacketOutput the stack was built with.
//
// File split (STYLE lessons 2, 4, 5, 6; each file one concern):
//   input_handshake.cc  the states where RFC 9293 §3.10.7 branches: LISTEN, SYN-SENT
//   input_request.cc    the listener's request records (SPEC §3.2): SYN+ACK, tcp_check_req(),
//                       their timer, the child the third ACK creates; SYN cookie SYN+ACKs
//   input_sync.cc       the one pipeline every synchronized state (and SYN-RECEIVED) runs, in
//                       §3.10.7.4 order: PAWS, sequence, RST, SYN, ACK, text, FIN; each step
//                       returns a Verdict (continue / drop / drop+ACK / drop+RST)
//   input_time_wait.cc  TIME-WAIT and the orphan's FIN-WAIT-2 as compact records (the handover
//                       from a Tcb, Linux tcp_timewait_state_process; SPEC §8.8, §9.4, §9.5)
//   output.cc           output(): what to send now, from the Tcb alone; segment building
//   timers.cc           the deadlines, arm(), on_timer()
//   user_calls.cc       connect/send/recv/shutdown/close/abort, state changes and aborts
//   fastopen_client.cc  TCP_FASTOPEN_CONNECT: the deferred SYN with data, the SYN+ACK's cookie
// Input never builds a segment: it changes state and sets Tcb::want_* flags; output() turns
// them into segments and timers.cc re-arms the Tcb's one TimerEntry. RST replies to a segment
// (not from a Tcb's state) are the exception: reply_reset() answers that segment at once.
//
// The engine reads settings from the stack's sysctl registry and moves its named counters and
// trace; those three headers are leaf modules, which is why tcp/ may include them.
//
// Linux behaviour is the reference wherever SPEC is silent; each rule cites the Linux function.
// Single-threaded: the stack's driver loop owns the engine.
#pragma once

#include <synack/time.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/result.h"
#include "stack/counters.h"
#include "stack/packet_output.h"
#include "stack/sysctl.h"
#include "stack/timer_wheel.h"
#include "stack/trace.h"
#include "tcp/fastopen.h"
#include "tcp/isn.h"
#include "tcp/listener.h"
#include "tcp/request_record.h"
#include "tcp/retry_limits.h"
#include "tcp/syncookie.h"
#include "tcp/tcb.h"
#include "tcp/time_wait_table.h"
#include "wire/packet.h"

namespace synack::tcp {

// What Engine::input asks the stack to do after a segment was handled.
enum class InputOutcome : uint8_t {
  kDone,
};

struct InputResult {
  InputOutcome outcome = InputOutcome::kDone;
};

// What a TIME-WAIT / FIN-WAIT-2 record asks the stack to do after a segment (Linux
// tcp_timewait_state_process() return values). Any ACK has already been sent.
enum class TimeWaitAction : uint8_t {
  kKeep,     // nothing more (TCP_TW_SUCCESS)
  kRestart,  // a new deadline of now + TIME-WAIT length (SPEC §9.4)
  kKill,     // remove the record (RST; already traced and counted)
  kReset,    // answer the segment with RST and remove the record (TCP_TW_RST)
  // A new SYN for the tuple (SPEC §9.5, Linux TCP_TW_SYN): with a listener, remove the record
  // and hand the SYN to it with `isn`; with none, send_time_wait_ack() (TCP_TW_ACK).
  kSyn,
};

struct TimeWaitResult {
  TimeWaitAction action = TimeWaitAction::kKeep;
  SeqNum isn{};  // kSyn: the ISN Linux picks for the new connection
};

// What a segment did to a request record (Engine::request_input).
enum class RequestVerdict : uint8_t {
  kKeep,       // the record stays (answered, dropped, or a retransmitted SYN)
  kDrop,       // forget the record (RST, a new SYN, tcp_abort_on_overflow)
  kEstablish,  // an acceptable third ACK: create the child (open_child + child_input)
};

struct EngineConfig {
  wire::Ipv4Address address;
  uint32_t mtu = 1500;
};

class Engine {
 public:
  Engine(const EngineConfig& config, const stack::Sysctls& sysctls, stack::Counters& counters,
         const stack::Tracer& tracer, stack::TimerWheel& wheel, const IsnGenerator& isn,
         PacketOutput& out);

  // --- segment arrival ---------------------------------------------------------------------
  // A segment for an existing connection (any state but LISTEN and CLOSED).
  InputResult input(Tcb& t, const wire::Packet& p, Instant now);
  // --- request records (input_request.cc) ---------------------------------------------------
  // A SYN the listener accepted: fills `r` (fresh), sends the SYN+ACK from ISN `iss`, arms
  // the record's SYN+ACK timer.
  // `fastopen_cookie`: a Fast Open cookie for the first SYN+ACK only (SPEC §13.2; Linux sends
  // none on retransmissions, tcp_rtx_synack()).
  void open_request(RequestRecord& r, Listener& l, const wire::Packet& syn, SeqNum iss, Instant now,
                    const std::optional<wire::FastOpenCookie>& fastopen_cookie = std::nullopt);
  // SPEC §13.2, Linux tcp_fastopen_create_child(): a SYN with an accepted Fast Open cookie
  // becomes a full connection at once, in SYN-RECEIVED, the SYN's data in its receive queue;
  // `t` (fresh) is left with its SYN+ACK (acknowledging that data) due — the caller puts it in
  // the table and the accept queue, then flush()es it. The Tcb's own timer retransmits it.
  // `cookie`: a Fast Open option for its first SYN+ACK (set: the SYN's cookie was the backup
  // key's); the caller clears t.fastopen_syn once that SYN+ACK is out.
  void open_fastopen_child(Tcb& t, Listener& l, const wire::Packet& syn, SeqNum iss, Instant now,
                           const std::optional<wire::FastOpenCookie>& cookie = std::nullopt);
  // A segment for the record (Linux tcp_check_req()).
  [[nodiscard]] RequestVerdict request_input(RequestRecord& r, const wire::Packet& p, Instant now);
  // The record's timer fired: false when it must be dropped (retries exhausted).
  [[nodiscard]] bool request_timer(RequestRecord& r, Instant now);
  // Initializes `t` (fresh) as the record's child, still in the record's state; child_input()
  // then runs the third ACK through the pipeline (ESTABLISHED, PassiveOpens).
  void open_child(Tcb& t, const RequestRecord& r, Instant now);
  void child_input(Tcb& t, const wire::Packet& p, Instant now);
  // SYN cookies (SPEC §6): the SYN+ACK for `syn` with ISN `cookie` (options in TSval), and
  // the record a valid cookie ACK stands for (syncookie.h decoded `mss` and `o`).
  void send_cookie_synack(Listener& l, const wire::Packet& syn, SeqNum cookie, Instant now);
  void cookie_request(RequestRecord& r, Listener& l, const wire::Packet& ack, uint16_t mss,
                      const SyncookieAckOptions& o) const;
  // The TSval offset of this tuple (isn.h; 0 unless tcp_timestamps = 1).
  [[nodiscard]] uint32_t ts_offset(const FourTuple& tuple) const;
  // A segment for a listener that is not a SYN it accepts (RFC 9293 §3.10.7.2).
  void listen_input_non_syn(const wire::Packet& p, Instant now);
  // SPEC §10.1: a segment for no socket. RST answers never answer an RST.
  void reply_reset(const wire::Packet& p, Instant now);

  // --- TIME-WAIT and FIN-WAIT-2 records (input_time_wait.cc) -----------------------------------
  // The record a Tcb entering TIME-WAIT (or an orphan FIN-WAIT-2) leaves behind.
  [[nodiscard]] TimeWaitState time_wait_state(Tcb& t, Instant now);
  // How long that record lives: TIME-WAIT's length, or what is left of FIN-WAIT-2's time.
  [[nodiscard]] Duration time_wait_lifetime(const Tcb& t, Instant now) const;
  // An orphan in FIN-WAIT-2 whose remaining time fits a record (SPEC §8.8).
  [[nodiscard]] bool fin_wait2_to_table(const Tcb& t, Instant now) const;
  // The Tcb after the handover (Linux tcp_done() after tcp_time_wait()): CLOSED, untraced.
  void retire_to_time_wait(Tcb& t);
  // A segment for a record's tuple.
  [[nodiscard]] TimeWaitResult input_time_wait(TimeWaitRecord& r, const wire::Packet& p,
                                               Instant now);
  void send_time_wait_ack(const TimeWaitRecord& r, Instant now);
  // The record expired (traces the timer and CLOSED, counts TW).
  void time_wait_ended(const TimeWaitRecord& r, Instant now);
  // The record is removed early; `reason` (if any) is traced as an abort.
  void time_wait_killed(const TimeWaitRecord& r, Instant now, std::string_view reason);

  // --- user calls (Tcb already created, tuple set) --------------------------------------------
  // `reuse`: a TIME-WAIT record tcp_tw_reuse takes over (SPEC §9.8, Linux tcp_twsk_unique()):
  // the ISN is its snd_nxt + 65535 + 2 and its ts_recent carries over.
  // `syn_waits_for_data`: sendto(MSG_FASTOPEN) (Linux tcp_sendmsg_fastopen(): fastopen_req set
  // before tcp_v4_connect()) — the SYN is not sent here but by the send() that follows at
  // once, with data and the cached cookie or as a cookie request (fastopen_send()).
  void connect(Tcb& t, Instant now, const TimeWaitRecord* reuse = nullptr,
               bool syn_waits_for_data = false);
  // Bytes accepted into the send queue.
  size_t send(Tcb& t, std::span<const uint8_t> data, Instant now);
  // After the application read: may send a window update (Linux tcp_cleanup_rbuf()).
  void after_read(Tcb& t, size_t copied, Instant now);
  void shutdown_write(Tcb& t, Instant now);
  void shutdown_read(Tcb& t);
  // close(): FIN (or RST when unread data / SO_LINGER {on,0}), the socket becomes an orphan.
  // `linger_wait`: the application waits inside close() (SO_LINGER {on, t > 0}, Linux
  // sk_stream_wait_close()): the socket is not orphaned yet — orphan() does that when the wait
  // ends — so orphan-only rules (tcp_orphan_retries, the FIN-WAIT-2 limit) start then.
  void close(Tcb& t, Instant now, bool linger_wait = false);
  // The application's close() returned (Linux __tcp_close() after sk_stream_wait_close()):
  // the connection goes on as an orphan.
  void orphan(Tcb& t, Instant now);
  // The states a lingering close() waits in: our FIN is not acknowledged yet (Linux
  // sk_stream_closing(): FIN-WAIT-1, CLOSING, LAST-ACK).
  [[nodiscard]] static bool fin_unacked(State s) {
    return s == State::kFinWait1 || s == State::kClosing || s == State::kLastAck;
  }
  // Abortive close: RST if the state calls for one, then CLOSED. `counter`: what to count.
  void abort(Tcb& t, Instant now, stack::Counter counter, std::string_view reason);
  void set_nodelay(Tcb& t, bool on, Instant now);
  void set_keepalive(Tcb& t, Instant now);
  void quickack(Tcb& t, Instant now);

  // --- timers ------------------------------------------------------------------------------
  // The Tcb's entry fired (or any time at/after one of its deadlines).
  void on_timer(Tcb& t, Instant now);
  // Re-arms the Tcb's TimerEntry at its earliest deadline.
  void arm(Tcb& t);
  [[nodiscard]] Instant earliest_deadline(const Tcb& t) const;

  // --- helpers the stack uses ----------------------------------------------------------------
  void set_state(Tcb& t, State to, Instant now);
  // Runs output() and re-arms: what every entry point ends with.
  void flush(Tcb& t, Instant now);
  [[nodiscard]] const stack::Sysctls& sysctls() const { return sysctls_; }
  // The host's orphan count (the stack owns it), for the timer path of tcp_max_orphans
  // (Linux tcp_out_of_resources()); null: never out of resources.
  void set_orphan_count(const uint64_t* orphans) { orphans_ = orphans; }
  // Linux tcp_too_many_orphans(shift): orphans << shift > tcp_max_orphans.
  [[nodiscard]] bool too_many_orphans(unsigned shift) const;
  // The host's Fast Open client cookie cache (the stack owns it; SPEC §13.3); null: Fast Open
  // connects plan as if nothing were cached and learn nothing.
  void set_fastopen_cache(FastOpenClientCache* cache) { fo_cache_ = cache; }
  [[nodiscard]] stack::Counters& counters() { return counters_; }
  [[nodiscard]] static stack::TraceTuple trace_tuple(const Tcb& t);
  // The ISN for a new connection with this tuple (SPEC §4.4).
  [[nodiscard]] SeqNum choose_isn(const FourTuple& tuple, Instant now) const;
  [[nodiscard]] uint32_t tsval(const Tcb& t, Instant now) const;

 private:
  enum class Verdict : uint8_t { kContinue, kDrop, kDropAck, kDropRst, kDone };

  // fastopen_client.cc (SPEC §13.3)
  [[nodiscard]] FastOpenClientPlan fastopen_plan(const Tcb& t, Instant now);
  // connect() with TCP_FASTOPEN_CONNECT: true when the SYN waits for the first send().
  bool fastopen_connect(Tcb& t, Instant now);
  // The first send() on a deferred connect: the SYN, with as much of `data` as it may carry.
  size_t fastopen_send(Tcb& t, std::span<const uint8_t> data, Instant now);
  // The SYN+ACK of a Fast Open SYN (snd_una already moved): cache, counters, data resend.
  void fastopen_synack(Tcb& t, const wire::TcpSegment& s, Instant now);
  void send_first_syn(Tcb& t, Instant now);

  // input_handshake.cc
  void input_syn_sent(Tcb& t, const wire::Packet& p, Instant now);
  void negotiate_options(Tcb& t, const wire::TcpOptions& o);

  // input_request.cc
  struct SynackShape {
    uint16_t adv_mss = 0;
    uint8_t rcv_wscale = 0;
    uint32_t rcv_wnd = 0;  // the SYN+ACK's window field (never scaled)
  };
  [[nodiscard]] SynackShape synack_shape(const TcbOptions& opt, bool ts_ok) const;
  void fill_request(RequestRecord& r, Listener& l, const wire::Packet& syn, SeqNum iss,
                    Instant now) const;
  void send_synack(RequestRecord& r, Instant now, bool retransmission,
                   std::optional<uint32_t> tsval_override = std::nullopt,
                   const std::optional<wire::FastOpenCookie>& fastopen_cookie = std::nullopt);
  void send_request_ack(RequestRecord& r, Instant now);

  // input_sync.cc
  void input_synchronized(Tcb& t, const wire::Packet& p, Instant now);
  Verdict check_paws(Tcb& t, const wire::Packet& p, Instant now);
  Verdict check_sequence(Tcb& t, const wire::Packet& p, Instant now);
  Verdict check_rst(Tcb& t, const wire::Packet& p, Instant now);
  Verdict check_syn(Tcb& t, const wire::Packet& p, Instant now);
  Verdict process_ack(Tcb& t, const wire::Packet& p, Instant now);
  Verdict process_text(Tcb& t, const wire::Packet& p, Instant now);
  void update_window(Tcb& t, const wire::TcpSegment& s);
  void take_rtt_sample(Tcb& t, const wire::TcpSegment& s, Instant now);
  void on_data_received(Tcb& t, uint32_t bytes, bool immediate, Instant now);
  void store_ts_recent(Tcb& t, const wire::TcpSegment& s, Instant now);
  // Linux tcp_oow_rate_limited(): true when an out-of-window ACK must not be sent now.
  bool oow_rate_limited(Tcb& t, const wire::TcpSegment& s, stack::Counter skipped, Instant now,
                        bool data_exempt = true);
  bool oow_rate_limited(Instant& last_oow_ack, const wire::TcpSegment& s, stack::Counter skipped,
                        Instant now, bool data_exempt = true);
  void send_challenge_ack(Tcb& t, Instant now);
  // The connection was reset by the peer (Linux tcp_reset()).
  void peer_reset(Tcb& t, Instant now);
  void established(Tcb& t, Instant now);

  // input_time_wait.cc
  TimeWaitResult input_fin_wait2_record(TimeWaitRecord& r, const wire::Packet& p, bool paws_reject,
                                        Instant now);

  // output.cc
  void output(Tcb& t, Instant now);
  bool send_data(Tcb& t, Instant now);
  void send_segment(Tcb& t, uint8_t flags, SeqNum seq, uint32_t len, Instant now,
                    bool retransmission);
  void send_rst(Tcb& t, Instant now);  // RST from a Tcb's state (abort)
  void send_probe(Tcb& t, Instant now);
  // Linux tcp_select_window(): the window field, updating rcv_wnd/rcv_wup.
  uint16_t select_window(Tcb& t);
  [[nodiscard]] uint32_t free_space_window(const Tcb& t) const;
  // Payload bytes per segment now: snd_mss less the SACK blocks this segment will carry.
  [[nodiscard]] uint32_t current_mss(const Tcb& t) const;
  void transmit(wire::Packet& p, const Tcb* t, Instant now);
  void transmit(wire::Packet& p, State state, Instant now);
  void emit_reset(const wire::Packet& to, Instant now);

  // sack_recovery.cc (RFC 6675 with a SACK scoreboard, tcp/sack_scoreboard.h)
  struct SackTagResult {
    uint32_t newly_sacked = 0;  // bytes the blocks newly SACKed
    uint32_t acked_sacked = 0;  // bytes the cumulative ACK covered that were SACKed before
  };
  // Validates the segment's SACK blocks (Linux tcp_sacktag_write_queue(),
  // tcp_is_sackblock_valid(), tcp_check_dsack()) and records them; moves the scoreboard to
  // SEG.ACK (reneging check first). Call before snd_una moves.
  SackTagResult sack_tag(Tcb& t, const wire::TcpSegment& s);
  // After an ACK's snd_una / duplicate-ACK processing: RFC 6675 entry on IsLost(snd_una), PRR.
  void sack_after_ack(Tcb& t, CaState before, uint32_t acked_bytes, const SackTagResult& tag,
                      bool una_advanced);
  // RFC 6675 NextSeg() rule 1 (lost holes) — and with `rule3`, rule 3 (other unSACKed data
  // below snd_max, once new data could not go) — while pipe < cwnd.
  void sack_retransmit(Tcb& t, Instant now, bool rule3);
  // Bytes in flight for the cwnd test: RFC 6675 pipe with a scoreboard, else snd_nxt - snd_una.
  [[nodiscard]] uint32_t pipe_bytes(const Tcb& t) const;

  // timers.cc
  void rearm_rexmit(Tcb& t, Instant now);
  void on_rexmit_timer(Tcb& t, Instant now);
  void on_persist_timer(Tcb& t, Instant now);
  void on_state_timer(Tcb& t, Instant now);
  void on_keepalive_timer(Tcb& t, Instant now);
  void start_time_wait(Tcb& t, Instant now);
  void set_fin_wait2_timer(Tcb& t, Instant now);
  void arm_keepalive(Tcb& t, Instant now);
  void give_up(Tcb& t, Instant now, int err, std::string_view reason);
  [[nodiscard]] RetrySysctls retry_sysctls() const;
  [[nodiscard]] Duration keep_idle(const Tcb& t) const;
  [[nodiscard]] Duration delack_timeout(const Tcb& t) const;
  // Buffer memory of idle connections (timers.cc): both queues empty but a ring still held.
  [[nodiscard]] static bool holds_idle_buffers(const Tcb& t);
  void release_idle_buffers(Tcb& t);
  // Arms the reclaim check on delack_at (see timers.cc) when the connection holds idle buffers.
  void schedule_reclaim(Tcb& t, Instant now);
  void on_reclaim_timer(Tcb& t, Instant now);

  // user_calls.cc
  void init_connection(Tcb& t, Instant now);
  // SPEC §1.3.1: the window scale we offer (Linux tcp_select_initial_window()).
  [[nodiscard]] uint8_t initial_rcv_wscale() const;
  // The Tcb reached CLOSED through the protocol (Linux tcp_done()).
  void done(Tcb& t, Instant now);

  [[nodiscard]] int64_t sysctl(stack::SysctlId id) const { return sysctls_.get(id); }

  EngineConfig config_;
  const stack::Sysctls& sysctls_;
  stack::Counters& counters_;
  const stack::Tracer& tracer_;
  stack::TimerWheel& wheel_;
  IsnGenerator isn_;
  PacketOutput& out_;
  const uint64_t* orphans_ = nullptr;
  FastOpenClientCache* fo_cache_ = nullptr;
  // The Fast Open option of the SYN being sent first (Tcb::fastopen_syn): set just before that
  // SYN is output, so the Tcb need not hold a cookie for its whole life.
  wire::FastOpenCookie fo_syn_option_{};
  // Host-wide challenge ACK budget (tcp_challenge_ack_limit per second).
  Instant challenge_window_start_ = Instant::infinite();
  int64_t challenge_count_ = 0;
  // Scratch for building packets (no allocation per segment).
  wire::Packet scratch_packet_;
  std::vector<uint8_t> scratch_payload_;
  std::vector<uint8_t> scratch_bytes_;
};

// Human-readable verdicts for traces.
inline constexpr std::string_view kDropPaws = "PAWSEstab";
inline constexpr std::string_view kDropSeq = "out of window";

}  // namespace synack::tcp
