using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace Rekey.Tests.Telemetry;

/// <summary>
/// docs/observability.md lists every instrument of the meters <c>Rekey</c> and <c>Rekey.Storage.Sqlite</c> with its
/// meter, type and unit and the tags its measurements carry. The server is exercised (writes, a token, a refused
/// login, a scrape) and a <see cref="MeterListener"/> compares what exists with the table, both ways.
/// </summary>
public sealed class ObservabilityDocumentTests
{
    private static readonly string[] Meters = ["Rekey", "Rekey.Storage.Sqlite"];

    private sealed record Documented(string Name, string Meter, string Type, string Unit, IReadOnlySet<string> Tags);

    [Fact]
    public async Task the_instrument_table_and_the_code_list_the_same_instruments_units_types_and_tags()
    {
        var documented = ReadTable();
        var published = new ConcurrentDictionary<string, Instrument>();
        var tags = new ConcurrentDictionary<string, ConcurrentDictionary<string, bool>>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (Meters.Contains(instrument.Meter.Name))
            {
                published[instrument.Name] = instrument;
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Seen(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> measured)
        {
            var keys = tags.GetOrAdd(instrument.Name, _ => new());
            foreach (var tag in measured)
            {
                keys[tag.Key] = true;
            }
        }

        listener.SetMeasurementEventCallback<long>((i, _, t, _) => Seen(i, t));
        listener.SetMeasurementEventCallback<int>((i, _, t, _) => Seen(i, t));
        listener.SetMeasurementEventCallback<double>((i, _, t, _) => Seen(i, t));
        listener.Start();

        // Static instruments are created when their class is first used, which a short run may not reach (a checkpoint):
        // every class of the server that holds one is initialised first.
        foreach (var type in typeof(Rekey.Server.Telemetry.RekeyMetrics).Assembly.GetTypes()
            .Where(t => !t.ContainsGenericParameters && t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic).Any(f => typeof(Instrument).IsAssignableFrom(f.FieldType))))
        {
            RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        }

        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store, PrometheusScrapeTests.Enabled);
        var admin = host.CreateAdminClient();
        var client = await admin.CreateClientAsync(await admin.CreateServiceAsync(), """{"clientName":"doc","grantTypes":["CLIENT_CREDENTIALS"]}""");
        await admin.RefreshSecretAsync(client.ServiceId, client.ClientId);
        var token = new HttpRequestMessage(HttpMethod.Post, $"/oauth2/{client.ServiceId}/token") { Content = Wire.Form(("grant_type", "client_credentials")) };
        token.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(client.Id + ":wrong")));
        await host.CreateClient().SendAsync(token);
        await Waits.UntilAsync(() =>
        {
            listener.RecordObservableInstruments();
            return tags.ContainsKey("rekey.secrets") && tags.ContainsKey("rekey.secrets.expiring");
        }, "the secret gauges' first tally");

        var inCode = published.Values.Select(i => $"{i.Name} | {i.Meter.Name} | {TypeOf(i)} | {i.Unit}").Order().ToList();
        var inDoc = documented.Select(d => $"{d.Name} | {d.Meter} | {d.Type} | {d.Unit}").Order().ToList();
        Assert.True(inCode.Except(inDoc).ToList() is [], "in the code, not (so) in docs/observability.md: " + string.Join("; ", inCode.Except(inDoc)));
        Assert.True(inDoc.Except(inCode).ToList() is [], "in docs/observability.md, not (so) in the code: " + string.Join("; ", inDoc.Except(inCode)));
        foreach (var (name, keys) in tags)
        {
            var row = documented.Single(d => d.Name == name);
            Assert.True(keys.Keys.All(row.Tags.Contains), $"{name} carries tags {string.Join(", ", keys.Keys)}; documented: {string.Join(", ", row.Tags)}");
        }

        foreach (var name in new[] { "rekey.token.requests", "rekey.auth.failures", "rekey.changes", "rekey.store.unit.duration", "rekey.store.commit.duration" })
        {
            Assert.True(tags.ContainsKey(name), $"{name} recorded nothing while the server was exercised");
        }
    }

    private static string TypeOf(Instrument instrument) => instrument.GetType().Name.Split('`')[0] switch
    {
        "ObservableGauge" => "gauge",
        "ObservableCounter" => "counter", // exported as any counter is (Prometheus: _total); only when it is read differs
        var other => other.ToLowerInvariant(),
    };

    private static List<Documented> ReadTable()
    {
        var rows = new List<Documented>();
        foreach (var line in File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "docs", "observability.md")))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length != 8 || !cells[1].StartsWith("`rekey.", StringComparison.Ordinal))
            {
                continue;
            }

            var tags = cells[5].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(t => t.Trim('`')).ToHashSet();
            rows.Add(new Documented(cells[1].Trim('`'), cells[2].Trim('`'), cells[3], cells[4].Trim('`'), tags));
        }

        Assert.True(rows.Count >= 10, $"only {rows.Count} instrument rows found in docs/observability.md");
        return rows;
    }
}
