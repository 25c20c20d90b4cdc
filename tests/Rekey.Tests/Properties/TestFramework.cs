// xunit's framework plus the skip of PostgreSQL test classes where no PostgreSQL can be had (see RequiresPostgresAttribute).
[assembly: Xunit.TestFramework("Rekey.Testing.RekeyTestFramework", "Rekey.Testing")]
