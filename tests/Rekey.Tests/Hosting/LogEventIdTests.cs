using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Rekey.Tests.Hosting;

/// <summary>Every log message of the server has an event ID of its own, so that an operator can filter and alert on it.</summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void every_logger_message_of_the_server_has_a_unique_event_id()
    {
        var messages = typeof(Rekey.Server.Hosting.RekeyOptions).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: $"{m.DeclaringType?.Name}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .ToList();

        Assert.True(messages.Count > 10, $"only {messages.Count} logger messages found");
        var shared = messages.GroupBy(m => m.Attribute!.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}").ToList();
        Assert.True(shared.Count == 0, "event IDs used twice: " + string.Join("; ", shared));
    }

    [Fact]
    public void every_logger_message_of_the_server_is_declared_in_the_one_log_class()
    {
        var elsewhere = typeof(Rekey.Server.Hosting.RekeyOptions).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<LoggerMessageAttribute>() is not null && m.DeclaringType?.FullName != "Rekey.Server.Hosting.Log")
            .Select(m => $"{m.DeclaringType?.Name}.{m.Name}")
            .ToList();

        Assert.True(elsewhere.Count == 0, "logger messages outside Hosting/Log.cs: " + string.Join(", ", elsewhere));
    }
}
