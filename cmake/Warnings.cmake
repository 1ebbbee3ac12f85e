# One target that carries the project's warning flags; every target of ours links it.
add_library(restorepointd_warnings INTERFACE)
target_compile_options(restorepointd_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Werror)
