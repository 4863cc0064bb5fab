using System.Data.Common;
using Npgsql;

namespace VppPS.Engine.Store;

/// <summary>
/// Writes whose results nobody reads (inserts, updates, deletes), in one transaction. SQLite runs
/// in this process, so each runs at once. PostgreSQL is a round trip away, and 100,000 devices
/// joining a group are 300,000 statements: there they are queued, with the values they had when
/// queued, and sent in batches of <see cref="BatchSize"/> (one round trip each), in order.
/// <see cref="Flush"/> sends what is queued; the owner calls it before it reads anything the queued
/// writes may change, and when its work is done (before the transaction commits).
/// </summary>
internal sealed class WriteBehind(DbConnection connection, DbTransaction transaction)
{
    public const int BatchSize = 1000;
    private NpgsqlBatch? _batch;

    /// <summary>Runs <paramref name="command"/> (its parameters set) now on SQLite; queues a copy of it on PostgreSQL.</summary>
    public void Execute(DbCommand command)
    {
        if (connection is not NpgsqlConnection postgres)
        {
            command.ExecuteNonQuery();
            return;
        }
        _batch ??= new NpgsqlBatch(postgres, (NpgsqlTransaction)transaction);
        var queued = new NpgsqlBatchCommand(command.CommandText);
        foreach (NpgsqlParameter parameter in command.Parameters)
            queued.Parameters.Add(parameter.Clone());
        _batch.BatchCommands.Add(queued);
        if (_batch.BatchCommands.Count >= BatchSize) Flush();
    }

    /// <summary>Sends what is queued (nothing on SQLite).</summary>
    public void Flush()
    {
        if (_batch is null || _batch.BatchCommands.Count == 0) return;
        var batch = _batch;
        _batch = null;
        using (batch) batch.ExecuteNonQuery();
    }

    /// <summary>Drops what is queued without sending it (the work failed; its transaction is rolled back).</summary>
    public void Discard()
    {
        _batch?.Dispose();
        _batch = null;
    }
}
