# Warnings are errors for synack's own targets (GCC 12 and Clang 14 both stay clean).
add_library(synack_warnings INTERFACE)
target_compile_options(synack_warnings INTERFACE -Wall -Wextra -Werror)
