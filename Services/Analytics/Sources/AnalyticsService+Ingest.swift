public import ORDPAnalyticsAPI
import ORDPAuth
public import ORDPRPC

extension AnalyticsService {
  /// Batches in flight per call between reading and acknowledging: the next batches are read,
  /// decoded and checked while the earlier ones commit.
  static let ingestWindow = 4

  /// Ingest: every batch is checked (per item), written in one durable transaction together
  /// with its rollups, and acknowledged with its counts — batches strictly in the order sent.
  /// A client that disconnects loses only batches it has no acknowledgement for; resending
  /// them is safe (the replays count as duplicates).
  public func ingest(
    requests: RPCRequestStream<Ordp_Analytics_V1_IngestBatch>,
    responses: RPCResponseWriter<Ordp_Analytics_V1_IngestAck>, context: ServerContext
  ) async throws {
    guard var principal = context.principal else {
      throw RPCError(.unauthenticated, "Ingest needs an access token")
    }
    let window = AsyncSemaphore(permits: Self.ingestWindow)
    let (commits, queue) = AsyncStream.makeStream(
      of: (PreparedBatch, Promise<WriteCoalescer.Results>?).self)
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        // Acknowledges in order as commits complete.
        do {
          for await (prepared, results) in commits {
            let ack = try await self.acknowledge(prepared, results)
            try await responses.write(ack)
            window.release()
          }
        } catch {
          window.close()
          throw error
        }
      }
      defer { queue.finish() }
      for try await batch in requests {
        guard await window.acquire() else { break }
        // A sensor gateway's stream runs for days: its token is checked again per batch, so
        // a revoked key, a lowered role or an expired token ends the stream.
        principal = try await context.recheckPrincipal() ?? principal
        let prepared = self.prepare(batch, principal: principal)
        // Submitted here, in the order sent; committed with whatever else is waiting.
        let results = prepared.writes.isEmpty ? nil : writer.submit(prepared.writes)
        queue.yield((prepared, results))
      }
      queue.finish()
      try await group.waitForAll()
    }
  }

  struct PreparedBatch: Sendable {
    var batchID: UInt64
    var outcome: IngestValidator.Outcome
    var writes: [SeriesWrite]
  }

  func prepare(_ batch: Ordp_Analytics_V1_IngestBatch, principal: Principal) -> PreparedBatch {
    var keys: [String: Int64] = [:]
    let outcome = validator.validate(batch, now: clock()) { id in
      guard let record = directory.record(id) else { return .unknown }
      if AnalyticsAccess.canWrite(record.datastream.owner, principal) {
        keys[id] = record.key
        return .writable
      }
      // A stream the caller may not see answers like a missing one.
      return AnalyticsAccess.canRead(record.datastream, principal) ? .notPermitted : .unknown
    }
    let writes = outcome.accepted.map { accepted in
      SeriesWrite(
        stream: keys[accepted.datastreamID]!,
        columns: Self.sorted(accepted.times, accepted.results, accepted.qualities))
    }
    return PreparedBatch(batchID: batch.batchID, outcome: outcome, writes: writes)
  }

  /// Columns sorted by time (the validator has removed repeated times).
  static func sorted(
    _ times: [Int64], _ results: [Double], _ qualities: [UInt32]
  )
    -> ObservationColumns
  {
    var ascending = true
    for index in times.indices.dropFirst() where times[index - 1] > times[index] {
      ascending = false
      break
    }
    if ascending { return ObservationColumns(times: times, results: results, qualities: qualities) }
    let order = times.indices.sorted { times[$0] < times[$1] }
    return ObservationColumns(
      times: order.map { times[$0] }, results: order.map { results[$0] },
      qualities: order.map { qualities[$0] })
  }

  func acknowledge(
    _ batch: PreparedBatch, _ results: Promise<WriteCoalescer.Results>?
  ) async throws -> Ordp_Analytics_V1_IngestAck {
    var ack = Ordp_Analytics_V1_IngestAck()
    ack.batchID = batch.batchID
    ack.duplicates = batch.outcome.duplicates
    ack.rejected = batch.outcome.rejected
    ack.rejections = batch.outcome.rejections
    let results = try await results?.value ?? []
    for (accepted, result) in zip(batch.outcome.accepted, results) {
      ack.accepted += UInt64(result.added)
      ack.duplicates += UInt64(result.duplicates)
      guard result.expired > 0 else { continue }
      ack.rejected += UInt64(result.expired)
      if ack.rejections.count < IngestValidator.maximumRejections {
        var rejection = Ordp_Analytics_V1_Rejection()
        rejection.seriesIndex = UInt32(accepted.seriesIndex)
        rejection.reason = .expired
        rejection.message =
          "\(result.expired) observations of datastream \(accepted.datastreamID) are older than its retention has already deleted"
        ack.rejections.append(rejection)
      }
    }
    return ack
  }
}
