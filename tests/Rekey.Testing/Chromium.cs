namespace Rekey.Testing;

/// <summary>
/// The browser the console's end-to-end tests drive: Debian's <c>chromium</c> package, launched by its path
/// (<c>/usr/bin/chromium</c>, or <c>REKEY_TEST_CHROMIUM</c> where it lives elsewhere). Never a browser build downloaded by
/// Playwright: that download cannot work here, so nothing in the tests asks for it.
/// </summary>
public static class Chromium
{
    public const string DefaultPath = "/usr/bin/chromium";

    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("REKEY_TEST_CHROMIUM") is { Length: > 0 } path ? path : DefaultPath;

    /// <summary>Why the browser tests cannot run here, or null. Under <c>CI=true</c> they always run (and fail without a browser).</summary>
    public static string? SkipReason =>
        File.Exists(ExecutablePath) || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? null
            : $"chromium not found at {ExecutablePath}. Install it (Debian: apt-get install chromium) or point REKEY_TEST_CHROMIUM at a Chromium "
              + "or Chrome executable; under CI=true these tests fail instead.";
}

/// <summary>
/// Marks a test class that drives <see cref="Chromium"/>. Where it is missing, every test of the class is reported as
/// skipped with the reason, by <see cref="RekeyTestFramework"/>, unless CI is <c>true</c>: there the tests run and fail.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class RequiresChromiumAttribute : Attribute, ITestRequirement
{
    public string? SkipReason => Chromium.SkipReason;
}
