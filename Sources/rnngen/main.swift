import Foundation
import RNNGenCommands

exit(Commands.main(Array(CommandLine.arguments.dropFirst())))
