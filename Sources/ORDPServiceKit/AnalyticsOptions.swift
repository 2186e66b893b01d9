public import ArgumentParser
import Foundation

/// `ordp-analytics`'s own options.
public struct AnalyticsOptions: ParsableArguments {
  @Option(help: "Directory of the database (created when missing).") public var dataDir =
    ".ordp/analytics"
  @Option(help: "Seconds between retention sweeps.") public var retentionInterval = 300
  @Flag(help: "Create demo sensors with two weeks of data when there are none (ordp dev up).")
  public var demoSensors = false
  @Option(help: "Only these towns' demo sensors, town,… (a partition's; default: every town).")
  public var demoTowns: String?
  @Option(
    help:
      "Time (microseconds since 1970) the demo data ends at (default: now); replicas and partitions given the same hold the same data."
  )
  public var demoTime: Int64?
  @Flag(
    help:
      "Keep writing the demo sensors' observations on every 5-minute mark, first filling the gap since the last (ordp dev up)."
  )
  public var demoFeed = false

  public init() {}

  public func validate() throws {
    try DemoTowns.check(demoTowns)
    if let demoTime, !(0...253_402_300_799_000_000).contains(demoTime) {
      throw ValidationError("--demo-time must be microseconds within years 1970–9999")
    }
    guard (1...86_400).contains(retentionInterval) else {
      throw ValidationError("--retention-interval must be in 1...86400")
    }
  }

  /// The assembly's options these stand for.
  public var assemblyOptions: AnalyticsAssembly.Options {
    var options = AnalyticsAssembly.Options(dataDirectory: URL(fileURLWithPath: dataDir))
    options.retentionInterval = .seconds(retentionInterval)
    options.demoSensors = demoSensors
    options.demoTowns = demoTowns.map(DemoTowns.parse)
    options.demoTime = demoTime
    options.demoFeed = demoFeed
    return options
  }
}
