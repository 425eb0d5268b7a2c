# The layer rules of the source tree (docs/layout.md), checked on every build and by CTest:
#   cmake -DROOT=<source tree> -P tests/layout/check_layout.cmake
# 1. Includes point one way. Every quoted #include in include/, host/ and cuda/ names its layer
#    folder ("io/loaders.hpp", "tokenplan/model.hpp"), and a file may include only its own layer
#    and the layers its row below allows. A layer's own row is the whole of what it may use.
# 2. No source file passes 500 lines unless it says why: a line with "over 500 lines" in its first
#    20 lines. This one also holds for tests/, bench/, the CMake files and .ci/.
# 3. Every host/ layer folder has a README.md saying what it holds and may include.
# 4. Every source path the documents name (host/..., cuda/..., include/tokenplan/...) exists.
# Prints every breach as FILE:LINE: what and why, and fails (exit 1) if there is any.
cmake_minimum_required(VERSION 3.22)
if(NOT DEFINED ROOT)
  message(FATAL_ERROR "check_layout: pass -DROOT=<source tree>")
endif()

# Layer -> the layers it may include (its own included). "model" is include/tokenplan/.
set(allow_model model)
set(allow_base base)
set(allow_io base io model)
set(allow_search base io search cuda model)
set(allow_cuda base io search cuda model)
set(allow_fleet base io search fleet model)
set(allow_sweep base io search sweep model)
set(allow_validate base io search validate model)
set(allow_report base io search fleet sweep validate report model)
set(allow_cli base io search fleet sweep validate report cli model)
set(host_layers base io search fleet sweep validate report cli)
set(max_lines 500)

set(breaches "")
macro(breach text)
  string(APPEND breaches "${text}\n")
endmacro()

# The layer of a file, from its path relative to ROOT; "" for files outside the rules.
function(layer_of_path rel out)
  set(layer "")
  if(rel MATCHES "^include/tokenplan/")
    set(layer model)
  elseif(rel MATCHES "^cuda/")
    set(layer cuda)
  elseif(rel MATCHES "^host/([a-z_]+)/")
    set(layer ${CMAKE_MATCH_1})
  endif()
  set(${out} "${layer}" PARENT_SCOPE)
endfunction()

# A file over max_lines lines must say why in its first 20 lines.
function(check_length rel text)
  string(REGEX REPLACE "[^\n]" "" newlines "${text}")
  string(LENGTH "${newlines}" count)
  if(count GREATER max_lines)
    # The first 20 lines (CMake's regular expressions have no {m,n}).
    set(head "")
    set(tail "${text}")
    foreach(i RANGE 1 20)
      string(FIND "${tail}" "\n" nl)
      if(nl EQUAL -1)
        break()
      endif()
      math(EXPR nl "${nl} + 1")
      string(SUBSTRING "${tail}" 0 ${nl} piece)
      string(APPEND head "${piece}")
      string(SUBSTRING "${tail}" ${nl} -1 tail)
    endforeach()
    string(TOLOWER "${head}" head)
    if(NOT head MATCHES "over ${max_lines} lines")
      set(breaches "${breaches}${rel}: ${count} lines, over ${max_lines}, with no reason given (a comment with \"over ${max_lines} lines\" and why, in its first 20 lines)\n" PARENT_SCOPE)
    endif()
  endif()
endfunction()

file(GLOB_RECURSE sources RELATIVE ${ROOT}
  ${ROOT}/include/*.hpp ${ROOT}/host/*.hpp ${ROOT}/host/*.cpp ${ROOT}/host/*.inl
  ${ROOT}/cuda/*.cu ${ROOT}/cuda/*.cuh ${ROOT}/cuda/*.cpp ${ROOT}/cuda/*.hpp)
list(SORT sources)
if(NOT sources)
  message(FATAL_ERROR "check_layout: no sources under ${ROOT}")
endif()

foreach(rel IN LISTS sources)
  layer_of_path("${rel}" layer)
  if(layer STREQUAL "")
    breach("${rel}: outside every layer folder (host/<layer>/, include/tokenplan/, cuda/)")
    continue()
  endif()
  if(NOT DEFINED allow_${layer})
    string(REPLACE ";" ", " known "${host_layers}")
    breach("${rel}: host/${layer}/ is not a layer (known: ${known})")
    continue()
  endif()
  file(READ ${ROOT}/${rel} text)
  check_length("${rel}" "${text}")
  # Quoted includes, with their line numbers.
  string(REGEX MATCHALL "(^|\n)[ \t]*#[ \t]*include[ \t]*\"[^\"]*\"" found "${text}")
  foreach(inc IN LISTS found)
    string(REGEX REPLACE ".*\"([^\"]*)\".*" "\\1" target "${inc}")
    # The line of this include: count newlines before its first occurrence.
    string(FIND "${text}" "\"${target}\"" at)
    string(SUBSTRING "${text}" 0 ${at} before)
    string(REGEX REPLACE "[^\n]" "" before_nl "${before}")
    string(LENGTH "${before_nl}" line_no)
    math(EXPR line_no "${line_no} + 1")
    set(target_layer "")
    if(target MATCHES "^tokenplan/")
      set(target_layer model)
    elseif(target MATCHES "^([a-z_]+)/")
      set(target_layer ${CMAKE_MATCH_1})
    elseif(layer STREQUAL "cuda" AND EXISTS ${ROOT}/cuda/${target})
      set(target_layer cuda)
    endif()
    if(target_layer STREQUAL "" OR NOT DEFINED allow_${target_layer})
      breach("${rel}:${line_no}: #include \"${target}\" names no layer; write it from its layer folder (\"io/loaders.hpp\", \"tokenplan/model.hpp\")")
      continue()
    endif()
    set(exists_at "")
    if(target_layer STREQUAL "model")
      set(exists_at ${ROOT}/include/${target})
    elseif(target_layer STREQUAL "cuda")
      set(exists_at ${ROOT}/cuda/${target})
    else()
      set(exists_at ${ROOT}/host/${target})
    endif()
    if(NOT EXISTS ${exists_at})
      breach("${rel}:${line_no}: #include \"${target}\": no such file in the tree")
    endif()
    list(FIND allow_${layer} ${target_layer} allowed)
    if(allowed EQUAL -1)
      string(REPLACE ";" ", " may "${allow_${layer}}")
      breach("${rel}:${line_no}: #include \"${target}\" points the wrong way: ${layer} may include only ${may} (docs/layout.md)")
    endif()
  endforeach()
endforeach()

# The tests, benchmarks and build scripts follow the length rule too (their includes are free).
file(GLOB_RECURSE support_sources RELATIVE ${ROOT} ${ROOT}/tests/*.cpp ${ROOT}/tests/*.hpp ${ROOT}/tests/*.py
  ${ROOT}/tests/*.sh ${ROOT}/tests/*.cmake ${ROOT}/bench/*.cpp ${ROOT}/bench/*.hpp ${ROOT}/bench/*.cu ${ROOT}/bench/*.sh
  ${ROOT}/CMakeLists.txt ${ROOT}/tests/CMakeLists.txt ${ROOT}/bench/CMakeLists.txt ${ROOT}/.ci/*)
list(SORT support_sources)
foreach(rel IN LISTS support_sources)
  file(READ ${ROOT}/${rel} text)
  check_length("${rel}" "${text}")
endforeach()

# Source paths named in the documents (docs/, README.md, bench/RESULTS.md, the JSON Schemas, the
# layer READMEs) must exist: a file moved or split leaves no stale pointer behind.
file(GLOB_RECURSE documents RELATIVE ${ROOT} ${ROOT}/README.md ${ROOT}/docs/*.md ${ROOT}/bench/*.md
  ${ROOT}/configs/schema/*.json ${ROOT}/host/*/README.md)
list(SORT documents)
foreach(rel IN LISTS documents)
  file(READ ${ROOT}/${rel} text)
  string(REGEX MATCHALL "(host|cuda|include/tokenplan)/[a-z_/]+[.](cpp|hpp|inl|cu|cuh)" named "${text}")
  list(REMOVE_DUPLICATES named)
  foreach(path IN LISTS named)
    if(NOT EXISTS ${ROOT}/${path})
      breach("${rel}: names ${path}, which is not in the tree")
    endif()
  endforeach()
endforeach()

foreach(layer IN LISTS host_layers)
  if(IS_DIRECTORY ${ROOT}/host/${layer} AND NOT EXISTS ${ROOT}/host/${layer}/README.md)
    breach("host/${layer}/: no README.md saying what the layer holds and may include")
  endif()
endforeach()

if(breaches)
  message("${breaches}")
  message(FATAL_ERROR "check_layout: the tree breaks the layer rules above (docs/layout.md)")
endif()
list(LENGTH sources n)
message(STATUS "check_layout: ${n} files follow the layer rules")
