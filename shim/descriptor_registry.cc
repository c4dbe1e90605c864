#include "descriptor_registry.h"

#include <map>
#include <mutex>

namespace synack::shim {
namespace {

std::mutex& registry_mutex() {
  static std::mutex mu;
  return mu;
}
std::map<int, ShimHost*>& registry() {
  static std::map<int, ShimHost*> owners;
  return owners;
}

}  // namespace

void register_descriptor(int fd, ShimHost* host) {
  std::lock_guard<std::mutex> g(registry_mutex());
  registry()[fd] = host;
}

void unregister_descriptor(int fd) {
  std::lock_guard<std::mutex> g(registry_mutex());
  registry().erase(fd);
}

void unregister_host(ShimHost* host) {
  std::lock_guard<std::mutex> g(registry_mutex());
  std::erase_if(registry(), [host](const auto& kv) { return kv.second == host; });
}

ShimHost* host_of_descriptor(int fd) {
  std::lock_guard<std::mutex> g(registry_mutex());
  const auto it = registry().find(fd);
  return it == registry().end() ? nullptr : it->second;
}

}  // namespace synack::shim
