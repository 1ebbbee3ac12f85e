#pragma once
// The state database's schema, as migrations keyed on `PRAGMA user_version`: script i brings the schema from
// version i to version i + 1. A released script is never edited; a change is a new script at the end.
//
// The tables are the daemon's own and may change between versions. The views `vm_status`, `job_log` and
// `restore_points_view` are the stable interface for people (documented in the README): a later version may
// add columns at their end, never rename, reorder or drop one.

#include <SQLiteCpp/Database.h>

#include <span>
#include <string_view>

namespace rpd::store {

// The migration scripts, oldest first.
std::span<const std::string_view> migrations();

// The schema version this build writes and reads: the number of migrations.
int latest_schema_version();

// What the database says it is (0 for a new, empty file).
int schema_version(SQLite::Database& db);

// Applies the missing scripts in order, each in an immediate transaction of its own together with its
// user_version, so that a crash or a second process between two scripts leaves a consistent version behind.
// The version is read again inside each transaction: a process that lost the race finds nothing left to do.
// The caller has refused a newer schema already. Throws SQLite::Exception.
void migrate(SQLite::Database& db);

}  // namespace rpd::store
