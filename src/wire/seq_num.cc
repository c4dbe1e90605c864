#include "wire/seq_num.h"

namespace synack::wire {

std::string to_string(SeqNum s) {
  return std::to_string(s.raw());
}

}  // namespace synack::wire
