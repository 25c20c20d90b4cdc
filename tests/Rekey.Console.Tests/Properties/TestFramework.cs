// xunit's framework plus the skip of test classes whose requirement (chromium, a program on PATH) is not met here.
[assembly: Xunit.TestFramework("Rekey.Testing.RekeyTestFramework", "Rekey.Testing")]

// One class at a time: each starts a browser and a server, and two cores run one chromium well, not five.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
