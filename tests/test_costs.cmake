# Included by ctest after the discovered GoogleTest cases (tests/CMakeLists.txt):
# the longest cases, with their seconds on a 2-core machine, so that
# `ctest -j` starts them first instead of finding them last. Only an order:
# a case missing here or renamed still runs. ctest's own measurements
# (Testing/Temporary/CTestCostData.txt) take over once it has run them.
foreach(entry
    "e2e.ImageNet.DenseNet121EqualsGolden 30"
    "e2e.ImageNet.MobileNetV2EqualsGoldenAndEstimationAgrees 10")
  separate_arguments(entry)
  list(GET entry 0 name)
  list(GET entry 1 cost)
  set_tests_properties(${name} PROPERTIES COST ${cost})
endforeach()
