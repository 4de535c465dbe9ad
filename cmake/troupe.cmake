# Conventions shared by every Troupe target: warnings are errors, sanitizers when asked.

set(TROUPE_WARNINGS -Wall -Wextra -Werror)

set(TROUPE_SANITIZER_FLAGS "")
if(TROUPE_SANITIZE)
  set(TROUPE_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
endif()
if(TROUPE_FUZZ)
  # Everything linked into a fuzz target is instrumented for coverage and checked by ASan.
  set(TROUPE_SANITIZER_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
endif()

function(troupe_apply_conventions target)
  target_compile_options(${target} PRIVATE ${TROUPE_WARNINGS} ${TROUPE_SANITIZER_FLAGS})
  target_link_options(${target} PRIVATE ${TROUPE_SANITIZER_FLAGS})
endfunction()

# troupe_library(NAME SOURCES ... DEPENDS ...): one static library per src/ folder.
function(troupe_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPENDS;PRIVATE_DEPENDS" ${ARGN})
  add_library(troupe_${name} STATIC ${ARG_SOURCES})
  add_library(troupe::${name} ALIAS troupe_${name})
  target_include_directories(troupe_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(troupe_${name} PUBLIC ${ARG_PUBLIC_DEPENDS} PRIVATE ${ARG_PRIVATE_DEPENDS})
  troupe_apply_conventions(troupe_${name})
  # Sanitizer flags must reach whoever links the library too.
  target_link_options(troupe_${name} INTERFACE ${TROUPE_SANITIZER_FLAGS})
endfunction()
