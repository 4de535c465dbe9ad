// The one translation unit that compiles Asio's and Beast's out-of-line code
// (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION are set on the target).
#include <utility>  // Boost 1.74 Asio uses std::exchange without including <utility>.

#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
