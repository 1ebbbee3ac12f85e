// Asio, its TLS layer and Beast, compiled once for the daemon and the emulator instead of in every file that uses
// them (targets linking restorepointd_asio define BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION). This is the slow file.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
