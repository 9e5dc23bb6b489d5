using Npgsql;
using NpsTriggers.Core.Storage;

namespace NpsTriggers.Tests.Storage;

public sealed class DatabaseErrorsTests
{
    private static PostgresException Server(string sqlState) => new("message", "FATAL", "FATAL", sqlState);

    [Theory]
    [InlineData(PostgresErrorCodes.AdminShutdown)] // the server was stopped or restarted under the connection
    [InlineData(PostgresErrorCodes.CrashShutdown)]
    [InlineData(PostgresErrorCodes.CannotConnectNow)] // still starting up or in recovery
    [InlineData(PostgresErrorCodes.SerializationFailure)]
    [InlineData(PostgresErrorCodes.DeadlockDetected)]
    public void IsTransient_ErrorsThatPassByThemselves_AreTransient(string sqlState) =>
        DatabaseErrors.IsTransient(Server(sqlState)).ShouldBeTrue();

    [Theory]
    [InlineData(PostgresErrorCodes.UniqueViolation)]
    [InlineData(PostgresErrorCodes.UndefinedTable)]
    [InlineData(PostgresErrorCodes.SyntaxError)]
    [InlineData(PostgresErrorCodes.InvalidPassword)]
    public void IsTransient_ErrorsThatComeBackEveryTime_AreNot(string sqlState) =>
        DatabaseErrors.IsTransient(Server(sqlState)).ShouldBeFalse();

    [Fact]
    public void IsTransient_ConnectionFailures_AreTransient_AndOtherExceptionsAreNot()
    {
        DatabaseErrors.IsTransient(new NpgsqlException("Failed to connect", new System.Net.Sockets.SocketException(111))).ShouldBeTrue();
        DatabaseErrors.IsTransient(new InvalidOperationException("Connection is not open")).ShouldBeFalse();
    }
}
