# Talking to the simulator's /_sim/ control API from tests.

function Invoke-SimControl {
    param(
        [Parameter(Mandatory)] $Simulator,
        [Parameter(Mandatory)] [string] $Path,
        [string] $Method = 'Post',
        [hashtable] $Body
    )
    $arguments = @{ Method = $Method; Uri = "$($Simulator.Url)/_sim/$Path"; ContentType = 'application/json' }
    if ($Body) { $arguments.Body = $Body | ConvertTo-Json -Depth 5 }
    Invoke-RestMethod @arguments
}

# The token file of a location, by location name.
function Get-SimTokenFile {
    param([Parameter(Mandatory)] $Simulator, [Parameter(Mandatory)] [string] $Location)
    $Simulator.TokenFiles | Where-Object { $_.Name -like "*$($Location -replace ' ', '_')*" } | Select-Object -First 1
}

Export-ModuleMember -Function Invoke-SimControl, Get-SimTokenFile
