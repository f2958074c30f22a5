// Must NOT compile: src/core and src/http may not include PostgreSQL headers. CMakeLists.txt
// compiles this with the pure code's include path and expects src/pure_code_guard's #error.
#include "postgres.h"

int main() { return 0; }
