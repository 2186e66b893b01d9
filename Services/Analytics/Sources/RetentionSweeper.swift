public import Logging

/// Expires old observations and rollups per the streams' retention: raw blocks that ended
/// more than `raw_days` ago, rollup cells more than `rollup_days` ago. Works in small steps
/// (`stepSize` rows per transaction, yielding between them), so ingest — which shares the one
/// SQLite writer — waits at most one short step, never for a whole expiry.
public struct RetentionSweeper: Sendable {
  let service: AnalyticsService
  let logger: Logger
  public var stepSize = 64

  public init(service: AnalyticsService, logger: Logger) {
    self.service = service
    self.logger = logger
  }

  /// One pass over every stream; returns the rows deleted.
  @discardableResult
  public func sweep() async throws -> Int {
    let now = service.clock()
    let day: Int64 = 86_400_000_000
    var deleted = 0
    for record in service.directory.all() {
      guard let retention = service.directory.retention(of: record.datastream) else { continue }
      let rawBefore = retention.rawDays > 0 ? now - Int64(retention.rawDays) * day : nil
      let rollupsBefore = retention.rollupDays > 0 ? now - Int64(retention.rollupDays) * day : nil
      guard rawBefore != nil || rollupsBefore != nil else { continue }
      while true {
        let step = try await service.store.expire(
          stream: record.key, rawBefore: rawBefore, rollupsBefore: rollupsBefore, limit: stepSize)
        deleted += step
        if step < stepSize { break }
        await Task.yield()
      }
    }
    if deleted > 0 { logger.info("retention: expired \(deleted) blocks and rollup cells") }
    return deleted
  }

  /// Sweeps every `interval` until cancelled.
  public func run(every interval: Duration) async {
    while !Task.isCancelled {
      do { try await sweep() } catch {
        logger.error("retention sweep failed: \(error)")
      }
      try? await Task.sleep(for: interval)
    }
  }
}
