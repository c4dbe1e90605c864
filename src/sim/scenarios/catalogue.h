// The scenarios registry.cc lists, one function per file (one story per file keeps each
// readable on its own). Each returns a static Scenario value.
#pragma once

#include "sim/scenarios/scenario.h"

namespace synack::sim::scenarios {

const Scenario& syn_lost();
const Scenario& synack_lost();
const Scenario& final_ack_lost();
const Scenario& fin_lost();
const Scenario& stale_synack();
const Scenario& simultaneous_close();
const Scenario& half_close_download();
const Scenario& close_wait_leak();
const Scenario& keepalive_dead_peer();
const Scenario& linger_zero();
const Scenario& normal_lifecycle();
const Scenario& third_ack_lost();
const Scenario& keepalive_restarted_peer();
const Scenario& peer_crash_mid_transfer();

// SPEC §17 part A (simultaneous open, orphans, accept queue, Fast Open).
const Scenario& simultaneous_open();
const Scenario& zero_window_fin_wait1();
const Scenario& max_orphans();
const Scenario& accept_queue_overflow();
const Scenario& fastopen();
// Many-connection stories (short_connections.h).
const Scenario& time_wait_pileup();
const Scenario& port_exhaustion();
const Scenario& port_exhaustion_keepalive();
const Scenario& port_exhaustion_server_closes();
const Scenario& port_exhaustion_more_addresses();
const Scenario& tw_buckets_overflow();
const Scenario& syn_flood();
// Two clients behind one NAT against old Linux's tcp_tw_recycle check (issue 6).
const Scenario& tw_recycle_nat();

}  // namespace synack::sim::scenarios
