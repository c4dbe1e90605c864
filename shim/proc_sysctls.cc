#include "proc_sysctls.h"

#include <fstream>
#include <sstream>

#include "stack/sysctl_registry.h"

namespace synack::shim {

int load_proc_sysctls(stack::Sysctls& target, const std::string& root) {
  int loaded = 0;
  for (int i = 0; i < stack::kSysctlCount; ++i) {
    const auto id = static_cast<stack::SysctlId>(i);
    const std::string_view name = stack::sysctl_info(id).name;
    if (!name.starts_with("net.")) continue;  // synack.* settings have no /proc file
    std::string path = root + "/";
    for (const char c : name)
      path += c == '.' ? '/' : c;
    std::ifstream in(path);
    if (!in) continue;
    std::ostringstream text;
    text << in.rdbuf();
    std::string value = text.str();
    while (!value.empty() && (value.back() == '\n' || value.back() == ' '))
      value.pop_back();
    if (value.empty() || value == target.format(id)) continue;
    if (target.set(id, value)) ++loaded;
  }
  return loaded;
}

}  // namespace synack::shim
