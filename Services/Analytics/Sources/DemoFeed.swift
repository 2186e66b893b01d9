public import Logging

/// The demo sensors' live feed while `ordp dev up` runs: on every 5-minute mark each demo
/// stream of the service gets its next observation, written as ingest writes (group commit,
/// rollups). On start it first fills the gap since the stream's latest observation (at most
/// the seed's two weeks), so data persists across restarts without holes. Values are the
/// same function of the instant as the seed's (`DemoSensors.value`): replicas feeding the
/// same streams write the same observations.
public struct DemoFeed: Sendable {
  let service: AnalyticsService
  let towns: Set<String>?
  let logger: Logger

  public init(service: AnalyticsService, towns: Set<String>?, logger: Logger) {
    self.service = service
    self.towns = towns
    self.logger = logger
  }

  /// Writes what is due now; returns how many observations it wrote. `last` holds each
  /// stream's latest time written (filled from the store the first time).
  func tick(now: Int64, last: inout [String: Int64]) async throws -> Int {
    let through = now / DemoSensors.step * DemoSensors.step
    var writes: [SeriesWrite] = []
    var ends: [(String, Int64)] = []
    let sensors = DemoSensors.selected(towns)
    let missing = sensors.map { DemoSensors.id($0.sensor) }.filter { last[$0] == nil }
    if !missing.isEmpty {
      let records = missing.compactMap { service.directory.record($0) }
      let latest = try await service.store.latest(streams: records.map(\.key))
      for record in records {
        last[record.datastream.id] = latest[record.key]?.time ?? 0
      }
    }
    for (sensor, salt) in sensors {
      let id = DemoSensors.id(sensor)
      guard let record = service.directory.record(id), let after = last[id] else { continue }
      let from = max(after, through - Int64(DemoSensors.seedSlots) * DemoSensors.step)
      guard let columns = DemoSensors.columns(sensor, salt: salt, after: from, through: through)
      else { continue }
      writes.append(SeriesWrite(stream: record.key, columns: columns))
      ends.append((id, through))
    }
    guard !writes.isEmpty else { return 0 }
    let results = try await service.writer.submit(writes).value
    for (id, end) in ends { last[id] = end }
    return results.reduce(0) { $0 + $1.added }
  }

  /// Feeds every `interval` until cancelled; a failed write is logged and tried again.
  public func run(every interval: Duration, clock: @Sendable () -> Int64) async {
    var last: [String: Int64] = [:]
    while !Task.isCancelled {
      do {
        let written = try await tick(now: clock(), last: &last)
        if written > 0 { logger.debug("demo feed wrote \(written) observations") }
      } catch {
        logger.warning("demo feed: \(error)")
      }
      try? await Task.sleep(for: interval)
    }
  }
}
