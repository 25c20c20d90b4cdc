using Rekey.Cli;
using Rekey.Contracts;

namespace Rekey.Sdk.Tests.Cli;

/// <summary>
/// Master key rotation from the terminal, against a server configured with the old key and a new one: list, rewrap,
/// retire, each with the server's answer in human form.
/// </summary>
public sealed class CliMasterKeyTests : IAsyncLifetime, IAsyncDisposable
{
    private static readonly string[] MasterColumns = ["MASTER KEY ID", "FIRST USED", "RETIRED", "DATA KEYS", "CONFIGURED HERE"];

    private SqliteTestStore? _store;
    private RekeyHost? _both;

    public async Task InitializeAsync()
    {
        // A database set up with the old key alone, then a server that also has the new one.
        _store = new SqliteTestStore();
        await (await RekeyHost.StartAsync(_store)).DisposeAsync();
        _both = await RekeyHost.StartAsync(_store, new Dictionary<string, string?>
        {
            ["Rekey:MasterKeys:1"] = "k2:" + Convert.ToBase64String(Enumerable.Range(200, 32).Select(i => (byte)i).ToArray()),
        });
    }

    public async Task DisposeAsync()
    {
        if (_both is not null)
        {
            await _both.DisposeAsync();
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    private Task<CliRun> RekeyAsync(params string[] args) => CliTestBase.RunAsync(new Dictionary<string, string?>
    {
        ["REKEY_URL"] = (_both ?? throw new InvalidOperationException("not started")).BaseAddress.ToString(),
        ["REKEY_TOKEN"] = RekeyHost.AdminToken,
    }, null, args);

    [Fact]
    public async Task keys_list_rewrap_and_retire_move_the_data_keys_to_the_new_master_key()
    {
        var listed = await RekeyAsync("keys", "list");
        Assert.True(listed.ExitCode == ExitCodes.Success, listed.ToString());
        var before = listed.Table(MasterColumns);
        Assert.Equal("1", before.Single(m => m["MASTER KEY ID"] == "test1")["DATA KEYS"]);
        var k2 = before.Single(m => m["MASTER KEY ID"] == "k2");
        Assert.Equal(("0", "yes", ""), (k2["DATA KEYS"], k2["CONFIGURED HERE"], k2["FIRST USED"]));

        var rewrapped = await RekeyAsync("keys", "rewrap");
        Assert.True(rewrapped.ExitCode == ExitCodes.Success, rewrapped.ToString());
        Assert.Equal("A183001", rewrapped.Field("resultCode"));
        Assert.All(rewrapped.Table(MasterColumns), m => Assert.Equal("1", m["DATA KEYS"]));

        var retired = await RekeyAsync("keys", "retire", "test1", "--yes");
        Assert.True(retired.ExitCode == ExitCodes.Success, retired.ToString());
        Assert.Equal("[A183002] Retired the master key test1: removed its wrappings of 1 data keys.", retired.Field("resultMessage"));
        var test1 = retired.Table(MasterColumns).Single(m => m["MASTER KEY ID"] == "test1");
        Assert.Equal("0", test1["DATA KEYS"]);
        Assert.NotEqual("", test1["RETIRED"]);

        var again = await RekeyAsync("keys", "retire", "test1", "--yes");
        Assert.Equal(ExitCodes.Refused, again.ExitCode);
        Assert.Equal($"error: A183202 {ResultCodes.MasterKeyNotFound.Format("test1")}\n", again.Err);
    }
}
