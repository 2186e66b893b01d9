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

  public init() {}

  public func validate() throws {
    try DemoTowns.check(demoTowns)
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
    return options
  }
}
