# Every third-party library comes from Debian bookworm packages installed by scripts/setup.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Boost 1.74 REQUIRED)
# libpng: Character Card PNGs (the card travels in a tEXt chunk of the avatar image).
find_package(PNG REQUIRED)
# Eigen: the dense linear algebra of customer k-means (header-only).
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
# XGBoost runs its loops on OpenMP; the analytics library scopes its thread count (libgomp, GCC's).
find_package(OpenMP REQUIRED)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
# libcurl: model downloads (`troupe models pull`), with resume and redirects.
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
# ICU: canonical decomposition for the WordPiece (BERT) tokenizer's accent stripping.
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc)
# espeak-ng: the studio's offline speech; libopusenc: its Ogg Opus voice messages; opusfile: the
# tests decode what was encoded.
pkg_check_modules(ESPEAK_NG REQUIRED IMPORTED_TARGET espeak-ng)
pkg_check_modules(OPUSENC REQUIRED IMPORTED_TARGET libopusenc)
pkg_check_modules(OPUSFILE REQUIRED IMPORTED_TARGET opusfile)
# liblinear: the intent router's linear classifier; Snowball (libstemmer): its English stemmer.
# Neither ships a CMake or pkg-config file.
function(troupe_plain_library target header library)
  find_path(${target}_INCLUDE_DIR ${header} REQUIRED)
  find_library(${target}_LIBRARY ${library} REQUIRED)
  add_library(${target} UNKNOWN IMPORTED)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION ${${target}_LIBRARY}
                        INTERFACE_INCLUDE_DIRECTORIES ${${target}_INCLUDE_DIR})
endfunction()
troupe_plain_library(Liblinear::Liblinear linear.h linear)
troupe_plain_library(Stemmer::Stemmer libstemmer.h stemmer)
troupe_plain_library(XGBoost::XGBoost xgboost/c_api.h xgboost)

if(TROUPE_BUILD_TESTS AND NOT TROUPE_FUZZ)
  find_package(GTest REQUIRED)
endif()
if(TROUPE_BUILD_BENCH AND NOT TROUPE_FUZZ)
  find_package(benchmark REQUIRED)
endif()
