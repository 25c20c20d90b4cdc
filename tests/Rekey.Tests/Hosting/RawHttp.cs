using System.Net.Sockets;
using System.Text;

namespace Rekey.Tests.Hosting;

/// <summary>Requests no well-behaved client would send (a body that trickles in, a broken request line), over a bare socket.</summary>
internal static class RawHttp
{
    /// <summary>
    /// Sends <paramref name="head"/>, then one byte of body every quarter second until the server answers; returns what the
    /// server sent before it closed the connection.
    /// </summary>
    public static Task<string> SendSlowlyAsync(Uri server, string head) => ExchangeAsync(server, head, trickle: true);

    /// <summary>Sends <paramref name="request"/> as it is; returns what the server sent before it closed the connection.</summary>
    public static Task<string> SendAsync(Uri server, string request) => ExchangeAsync(server, request, trickle: false);

    /// <summary>The status code of a raw HTTP/1.1 answer.</summary>
    public static int Status(string answer) =>
        answer.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(answer.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture) : throw new FormatException("Not an HTTP answer: " + answer);

    private static async Task<string> ExchangeAsync(Uri server, string request, bool trickle)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, timeout.Token);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
        var answer = ReadToEndAsync(stream, timeout.Token);
        while (trickle && !answer.IsCompleted)
        {
            try
            {
                await stream.WriteAsync(" "u8.ToArray(), timeout.Token);
            }
            catch (IOException)
            {
                break;
            }

            await Task.WhenAny(answer, Task.Delay(TimeSpan.FromMilliseconds(250), timeout.Token));
        }

        return await answer;
    }

    private static async Task<string> ReadToEndAsync(NetworkStream stream, CancellationToken ct)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, ct)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // Reset after the answer: the server closes a connection whose request body it did not read.
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }
}
