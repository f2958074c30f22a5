// Found first on the include path of src/core and src/http (both build systems put this
// directory there): those directories are pure C++, unit-tested without a server, and talk
// to PostgreSQL only through src/pg. A PostgreSQL header here is a design error, not a
// missing include path.
#error "src/core and src/http are pure C++: include PostgreSQL headers (fmgr.h) only from src/pg"
