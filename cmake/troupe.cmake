# Conventions shared by every Troupe target: warnings are errors, sanitizers when asked.

set(TROUPE_WARNINGS -Wall -Wextra -Werror)
if(CMAKE_UNITY_BUILD)
  # In a unity build every .cpp is an included file, so g++ takes a class defined in a .cpp that
  # holds a type from that file's anonymous namespace for a header's class shared between units.
  list(APPEND TROUPE_WARNINGS -Wno-subobject-linkage)
endif()

set(TROUPE_SANITIZER_FLAGS "")
if(TROUPE_SANITIZE)
  set(TROUPE_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
endif()
if(TROUPE_TSAN)
  set(TROUPE_SANITIZER_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
  # Boost.Asio's fenced blocks use std::atomic_thread_fence, which g++ warns TSan does not model;
  # Asio's own mutexes still order what the tests check.
  list(APPEND TROUPE_WARNINGS -Wno-tsan)
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
  if(name STREQUAL "server")
    troupe_precompile(troupe_${name} ASIO)
  else()
    troupe_precompile(troupe_${name})
  endif()
  # Sanitizer flags must reach whoever links the library too.
  target_link_options(troupe_${name} INTERFACE ${TROUPE_SANITIZER_FLAGS})
endfunction()

# Precompiled headers: the heavy third-party headers most translation units include (nlohmann-json,
# GoogleTest, and for the server Boost.Asio/Beast) are parsed once per target instead of once per
# file, in the sanitizer build. Only targets of several files gain, so single-file targets are left
# alone. TROUPE_PCH=OFF
# turns it off (e.g. to check that every file includes what it uses).
option(TROUPE_PCH "precompile the heavy third-party headers" ON)
set(TROUPE_PCH_COMMON <algorithm> <functional> <map> <memory> <optional> <string> <string_view> <vector>
    <nlohmann/json.hpp>)
set(TROUPE_PCH_TESTS <gtest/gtest.h> <gmock/gmock.h>)
# <utility> first: Boost 1.74's Asio uses std::exchange without including it (docs/pitfalls).
set(TROUPE_PCH_ASIO <utility> <boost/asio/awaitable.hpp> <boost/asio/co_spawn.hpp> <boost/asio/io_context.hpp>
    <boost/asio/ip/tcp.hpp> <boost/asio/steady_timer.hpp> <boost/asio/strand.hpp> <boost/asio/use_awaitable.hpp>
    <boost/beast/core.hpp> <boost/beast/http.hpp>)

# troupe_precompile(TARGET [TESTS] [ASIO])
function(troupe_precompile target)
  cmake_parse_arguments(ARG "TESTS;ASIO" "" "" ${ARGN})
  # Only in the sanitizer build, where it was measured to pay (docs/benchmarks.md). With -O2, g++ 12
  # reports false -Warray-bounds errors in std::string copies once the header is precompiled (seen
  # in server/api/auth.cpp), and the release pass builds one binary, where it would save little.
  if(NOT TROUPE_PCH OR TROUPE_FUZZ OR NOT TROUPE_SANITIZE)
    return()
  endif()
  get_target_property(sources ${target} SOURCES)
  list(FILTER sources INCLUDE REGEX "\\.cpp$")
  list(LENGTH sources count)
  if(count LESS 4)
    return()
  endif()
  set(headers ${TROUPE_PCH_COMMON})
  if(ARG_ASIO)
    list(PREPEND headers ${TROUPE_PCH_ASIO})
  endif()
  if(ARG_TESTS)
    list(APPEND headers ${TROUPE_PCH_TESTS})
  endif()
  target_precompile_headers(${target} PRIVATE ${headers})
endfunction()
