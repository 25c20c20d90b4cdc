// xunit's framework plus the skip of test classes whose requirement (PostgreSQL, a program on PATH) is not met here.
[assembly: Xunit.TestFramework("Rekey.Testing.RekeyTestFramework", "Rekey.Testing")]
