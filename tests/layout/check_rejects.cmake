# The layer check must catch each kind of breach: builds a small tree with one of each in WORK,
# runs check_layout.cmake on it, and fails unless it exits non-zero naming every breach (and
# passes the same tree once the breaches are fixed).
#   cmake -DWORK=<scratch folder> -DCHECK=<path of check_layout.cmake> -P check_rejects.cmake
cmake_minimum_required(VERSION 3.22)
foreach(v WORK CHECK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check_rejects: pass -D${v}=...")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK})
set(layers base io search fleet sweep validate report cli)
foreach(layer IN LISTS layers)
  file(WRITE ${WORK}/host/${layer}/README.md "The ${layer} layer.\n")
endforeach()
file(WRITE ${WORK}/include/tokenplan/model.hpp "#pragma once\n#include \"tokenplan/specs.hpp\"\n")
file(WRITE ${WORK}/include/tokenplan/specs.hpp "#pragma once\n")
file(WRITE ${WORK}/host/io/loaders.hpp "#pragma once\n#include \"base/errors.hpp\"\n#include \"tokenplan/specs.hpp\"\n")
file(WRITE ${WORK}/host/base/errors.hpp "#pragma once\n")
file(WRITE ${WORK}/host/report/plan_report.hpp "#pragma once\n#include \"search/plan.hpp\"\n")
file(WRITE ${WORK}/host/cli/cli.cpp "#include \"report/plan_report.hpp\"\n#include \"io/loaders.hpp\"\n")
file(WRITE ${WORK}/cuda/backend_cuda.cu "#include \"search/plan.hpp\"\n#include \"cuda_check.cuh\"\n")
file(WRITE ${WORK}/cuda/cuda_check.cuh "#pragma once\n#include \"base/errors.hpp\"\n")
# The breaches, one per file:
#  search including report (upward), two lines down so the line number is checked too;
file(WRITE ${WORK}/host/search/plan.hpp "#pragma once\n\n#include \"report/plan_report.hpp\"\n")
#  io including search (upward);
file(WRITE ${WORK}/host/io/grid.cpp "#include \"io/loaders.hpp\"\n#include \"search/plan.hpp\"\n")
#  the model including host code;
file(WRITE ${WORK}/include/tokenplan/search.hpp "#pragma once\n#include \"io/loaders.hpp\"\n")
#  an include that names no layer folder;
file(WRITE ${WORK}/host/fleet/fleet.cpp "#include \"loaders.hpp\"\n")
#  an include of a file that does not exist;
file(WRITE ${WORK}/host/sweep/sweep.cpp "#include \"io/gone.hpp\"\n")
#  a file over 500 lines with no reason, and one with a reason (allowed);
string(REPEAT "int x;\n" 501 long_body)
file(WRITE ${WORK}/host/validate/validation.cpp "// Fits the factors.\n${long_body}")
file(WRITE ${WORK}/host/validate/long_ok.cpp "// Over 500 lines because it is one table.\n${long_body}")
#  a test over 500 lines (the length rule holds outside the layers too);
file(WRITE ${WORK}/tests/unit/test_long.cpp "// Tests.\n${long_body}")
#  a layer folder without its README, and a folder that is not a layer.
file(REMOVE ${WORK}/host/report/README.md)
file(WRITE ${WORK}/host/misc/util.cpp "\n")
#  a document naming a file that moved.
file(WRITE ${WORK}/docs/guide.md "The loaders (`host/io/loaders.hpp`, `host/loaders.cpp`).\n")

execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${WORK} -P ${CHECK}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
if(rc EQUAL 0)
  message(FATAL_ERROR "check_layout passed a tree with breaches:\n${all}")
endif()
set(expected
  "host/search/plan.hpp:3: #include \"report/plan_report.hpp\" points the wrong way: search may include only base, io, search, cuda, model"
  "host/io/grid.cpp:2: #include \"search/plan.hpp\" points the wrong way: io may include only base, io, model"
  "include/tokenplan/search.hpp:2: #include \"io/loaders.hpp\" points the wrong way: model may include only model"
  "host/fleet/fleet.cpp:1: #include \"loaders.hpp\" names no layer"
  "host/sweep/sweep.cpp:1: #include \"io/gone.hpp\": no such file in the tree"
  "host/validate/validation.cpp: 502 lines, over 500, with no reason given"
  "host/report/: no README.md"
  "host/misc/ is not a layer"
  "docs/guide.md: names host/loaders.cpp, which is not in the tree"
  "tests/unit/test_long.cpp: 502 lines, over 500")
foreach(e IN LISTS expected)
  string(FIND "${all}" "${e}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "check_layout did not report: ${e}\nIt said:\n${all}")
  endif()
endforeach()
foreach(fine IN ITEMS "long_ok.cpp" "cli/cli.cpp" "cuda/backend_cuda.cu" "cuda_check.cuh")
  string(FIND "${all}" "${fine}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "check_layout reported an allowed file (${fine}):\n${all}")
  endif()
endforeach()

# Fixed, the same tree passes.
file(WRITE ${WORK}/host/search/plan.hpp "#pragma once\n\n#include \"io/loaders.hpp\"\n")
file(WRITE ${WORK}/host/io/grid.cpp "#include \"io/loaders.hpp\"\n")
file(WRITE ${WORK}/include/tokenplan/search.hpp "#pragma once\n#include \"tokenplan/model.hpp\"\n")
file(WRITE ${WORK}/host/fleet/fleet.cpp "#include \"io/loaders.hpp\"\n")
file(WRITE ${WORK}/host/sweep/sweep.cpp "#include \"search/plan.hpp\"\n")
file(WRITE ${WORK}/host/validate/validation.cpp "// Fits the factors.\n")
file(WRITE ${WORK}/host/report/README.md "The report layer.\n")
file(REMOVE_RECURSE ${WORK}/host/misc)
file(WRITE ${WORK}/docs/guide.md "The loaders (`host/io/loaders.hpp`).\n")
file(WRITE ${WORK}/tests/unit/test_long.cpp "// Tests.\n")
execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${WORK} -P ${CHECK}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "check_layout refused the fixed tree:\n${out}${err}")
endif()
message(STATUS "check_rejects: every breach reported; the fixed tree passes")
