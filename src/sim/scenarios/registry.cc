#include <array>

#include "sim/scenarios/catalogue.h"
#include "sim/scenarios/scenario.h"

namespace synack::sim::scenarios {

std::span<const Scenario* const> all() {
  // In the order of the priority list; one per line.
  static const std::array kAll = {
      &syn_lost(),             //
      &synack_lost(),          //
      &final_ack_lost(),       //
      &fin_lost(),             //
      &stale_synack(),         //
      &simultaneous_close(),   //
      &half_close_download(),  //
      &close_wait_leak(),      //
      &keepalive_dead_peer(),  //
      &linger_zero(),          //
      &normal_lifecycle(),     //
      &third_ack_lost(),       //

      &keepalive_restarted_peer(),  //
      &peer_crash_mid_transfer(),   //

      &simultaneous_open(),               //
      &zero_window_fin_wait1(),           //
      &max_orphans(),                     //
      &accept_queue_overflow(),           //
      &fastopen(),                        //
      &time_wait_pileup(),                //
      &port_exhaustion(),                 //
      &port_exhaustion_keepalive(),       //
      &port_exhaustion_server_closes(),   //
      &port_exhaustion_more_addresses(),  //
      &tw_buckets_overflow(),             //
      &syn_flood(),                       //
      &tw_recycle_nat(),                  //
  };
  return kAll;
}

const Scenario* find(std::string_view name) {
  for (const Scenario* s : all())
    if (s->name == name) return s;
  return nullptr;
}

}  // namespace synack::sim::scenarios
