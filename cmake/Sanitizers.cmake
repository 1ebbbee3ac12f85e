# AddressSanitizer + UndefinedBehaviorSanitizer for every target when RESTOREPOINTD_SANITIZE is on.
# CI builds a second tree with it and runs the whole suite there too.
if(RESTOREPOINTD_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
