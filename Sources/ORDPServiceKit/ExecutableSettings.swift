public import ArgumentParser
import Foundation

/// An executable's settings from three places, each overriding the one before: a
/// configuration file, environment variables, the command line. Keys are the long option
/// names (`port`, `tls-cert`, `access-log`):
///
/// - the file (`--config FILE`, else `$ORDP_<NAME>_CONFIG`): `key = value` lines, `#`
///   comments, values optionally in double quotes; a repeatable option's key may repeat;
/// - the environment: `ORDP_<NAME>_<KEY>` with the key in capitals and `_` for `-`
///   (`ORDP_CATALOGUE_TLS_CERT`);
/// - the command line as given.
///
/// Flags take `true` or `false`. An unknown key is an error naming where it came from.
public struct ExecutableSettings: Sendable {
  /// One setting and where it came from, for the effective configuration printed at start.
  public struct Setting: Sendable, Equatable {
    public var key: String
    public var value: String
    public var source: String
  }

  /// The arguments to parse: the file's, then the environment's, then the command line's
  /// (for a single-valued option the last one wins).
  public var arguments: [String]
  /// What the file, the environment and the command line set, in that order (a later setting
  /// of the same key wins).
  public var settings: [Setting]

  /// Kinds of option a key can name, read from the command's help.
  enum Kind { case option, flag, invertibleFlag }

  public struct Invalid: Error, CustomStringConvertible {
    public var description: String
  }

  public init(
    command: any ParsableCommand.Type, name: String, commandLine: [String],
    environment: [String: String]
  ) throws {
    let help = command.helpMessage(includeHidden: true, columns: 10_000)
    func kind(_ key: String) -> Kind? {
      guard key.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }), !key.isEmpty else {
        return nil
      }
      if help.contains("--no-\(key) ") || help.contains("--no-\(key)\n") { return .invertibleFlag }
      if help.contains("--\(key) <") { return .option }
      if help.contains("--\(key) ") || help.contains("--\(key)\n") { return .flag }
      return nil
    }
    let prefix = "ORDP_\(name.uppercased().replacingOccurrences(of: "-", with: "_"))_"
    var settings: [Setting] = []
    // The file: --config on the command line, else the environment's.
    var configPath = environment[prefix + "CONFIG"]
    for (index, argument) in commandLine.enumerated() {
      if argument == "--config", index + 1 < commandLine.count {
        configPath = commandLine[index + 1]
      } else if argument.hasPrefix("--config=") {
        configPath = String(argument.dropFirst("--config=".count))
      }
    }
    if let configPath {
      let text: String
      do {
        text = try String(contentsOfFile: configPath, encoding: .utf8)
      } catch {
        throw Invalid(description: "cannot read the configuration file \(configPath)")
      }
      for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false)
        .enumerated()
      {
        let line = raw.trimmingCharacters(in: .whitespaces)
        if line.isEmpty || line.hasPrefix("#") { continue }
        guard let equals = line.firstIndex(of: "=") else {
          throw Invalid(description: "\(configPath):\(number + 1): not key = value")
        }
        var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
          value = String(value.dropFirst().dropLast())
        }
        settings.append(
          Setting(
            key: line[..<equals].trimmingCharacters(in: .whitespaces), value: value,
            source: "\(configPath):\(number + 1)"))
      }
    }
    // The environment, in a stable order.
    for (variable, value) in environment.sorted(by: { $0.key < $1.key })
    where variable.hasPrefix(prefix) && variable != prefix + "CONFIG" {
      let key = variable.dropFirst(prefix.count).lowercased().replacingOccurrences(
        of: "_", with: "-")
      settings.append(Setting(key: key, value: value, source: variable))
    }
    var arguments: [String] = []
    for setting in settings {
      switch kind(setting.key) {
      case .option: arguments += ["--\(setting.key)", setting.value]
      case .invertibleFlag, .flag:
        switch setting.value.lowercased() {
        case "true", "yes", "1": arguments.append("--\(setting.key)")
        case "false", "no", "0":
          if kind(setting.key) == .invertibleFlag { arguments.append("--no-\(setting.key)") }
        default:
          throw Invalid(
            description: "\(setting.source): \(setting.key) is a flag: true or false")
        }
      case nil:
        throw Invalid(
          description: "\(setting.source): no option \(setting.key) (see --help)")
      }
    }
    self.arguments = arguments + commandLine
    // The command line's settings, for the printout.
    var index = 0
    while index < commandLine.count {
      let argument = commandLine[index]
      index += 1
      guard argument.hasPrefix("--") else { continue }
      let name = String(argument.dropFirst(2))
      if let equals = name.firstIndex(of: "=") {
        settings.append(
          Setting(
            key: String(name[..<equals]), value: String(name[name.index(after: equals)...]),
            source: "command line"))
      } else if kind(name) == .option, index < commandLine.count {
        settings.append(Setting(key: name, value: commandLine[index], source: "command line"))
        index += 1
      } else if name.hasPrefix("no-"), kind(String(name.dropFirst(3))) == .invertibleFlag {
        settings.append(
          Setting(key: String(name.dropFirst(3)), value: "false", source: "command line"))
      } else if kind(name) != nil {
        settings.append(Setting(key: name, value: "true", source: "command line"))
      }
    }
    self.settings = settings
  }

  /// Settings whose values are secret (passwords, tokens, keys given inline) print as ***.
  public static func masked(_ setting: Setting) -> String {
    let secret =
      ["password", "secret", "token"].contains { setting.key.contains($0) }
      && !setting.key.hasSuffix("-file")
    return secret ? "***" : setting.value
  }

  /// Every option of `command` with its effective value and where it came from: the last
  /// setting of its key, else its default (from the command's help), secrets masked — the
  /// configuration an executable prints at start.
  public func effective(_ command: any ParsableCommand.Type) -> [Setting] {
    let help = command.helpMessage(includeHidden: false, columns: 10_000)
    var last: [String: Setting] = [:]
    for setting in settings { last[setting.key] = setting }
    // An option's help starts with its name and may go on over indented lines.
    var entries: [String] = []
    for line in help.split(separator: "\n") {
      let text = line.trimmingCharacters(in: .whitespaces)
      if text.hasPrefix("--") {
        entries.append(text)
      } else if !entries.isEmpty, line.hasPrefix(" "), !text.isEmpty {
        entries[entries.count - 1] += " " + text
      } else if !line.hasPrefix(" ") {
        entries.append("")  // a section heading ends the option before it
      }
    }
    var options: [Setting] = []
    for text in entries {
      guard text.hasPrefix("--") else { continue }
      let key = String(text.dropFirst(2).prefix { $0.isLetter || $0.isNumber || $0 == "-" })
      guard !key.isEmpty, key != "help", key != "config" || last[key] != nil,
        !options.contains(where: { $0.key == key })
      else { continue }
      if let setting = last[key] {
        options.append(Setting(key: key, value: Self.masked(setting), source: setting.source))
        continue
      }
      // ArgumentParser ends an option's help with "(default: …)" when it has one; a flag
      // without one is off.
      let takesValue = text.dropFirst(2 + key.count).hasPrefix(" <")
      var value = takesValue ? "(none)" : "false"
      if let range = text.range(of: "(default: ", options: .backwards), text.hasSuffix(")") {
        value = String(text[range.upperBound..<text.index(before: text.endIndex)])
        if value.hasPrefix("--") { value = value.hasPrefix("--no-") ? "false" : "true" }
      }
      options.append(Setting(key: key, value: value, source: "default"))
    }
    return options
  }

  /// Parses and runs `command` with its settings from file, environment and command line,
  /// first printing its effective configuration to standard error: every option, its value
  /// and where it came from, secrets masked.
  public static func main<Command: AsyncParsableCommand>(
    _ command: Command.Type, name: String
  )
    async
  {
    do {
      let settings = try ExecutableSettings(
        command: command, name: name, commandLine: Array(CommandLine.arguments.dropFirst()),
        environment: ProcessInfo.processInfo.environment)
      var parsed = try command.parseAsRoot(settings.arguments)
      // Help and other built-in commands print no configuration.
      guard var asynchronous = parsed as? Command else {
        try parsed.run()
        return
      }
      let program = command.configuration.commandName ?? name
      let lines = settings.effective(command).map {
        "\(program): \($0.key) = \($0.value) (\($0.source))\n"
      }
      FileHandle.standardError.write(Data(lines.joined().utf8))
      try await asynchronous.run()
    } catch let error as Invalid {
      command.exit(withError: ValidationError(error.description))
    } catch {
      command.exit(withError: error)
    }
  }
}
