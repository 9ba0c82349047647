; GANime Studio's CUDA add-on for Windows (NSIS 3): onnxruntime's CUDA provider (~300 MB), put into
; an existing per-user install of the same version (ganime.nsi), beside the app's onnxruntime, where
; onnxruntime loads it from, and the float files of the models that run int8 on the CPU (only CUDA
; runs them: packaging/cuda_models.py), into the app's models folder. Its own entry in Apps &
; features removes it again; uninstalling the app removes it too. The GPU also needs NVIDIA's driver
; and the CUDA and cuDNN libraries on PATH (README, "Using an NVIDIA GPU").
;
; Built by scripts\package_windows.ps1, which passes /DVERSION, /DVERSION_QUAD, /DPAYLOAD (a folder
; holding _internal\onnxruntime\capi\onnxruntime_providers_*.dll and _internal\assets\models\*.onnx),
; /DADDON_FILES (an .nsh with one `Delete "$INSTDIR\..."` line per file of the payload, which the
; uninstaller runs) and optionally /DOUTFILE.

Unicode true
!include "MUI2.nsh"
!include "LogicLib.nsh"

!ifndef VERSION
  !error "pass the version: makensis /DVERSION=x.y.z"
!endif
!ifndef PAYLOAD
  !error "pass the add-on's files: makensis /DPAYLOAD=<folder with _internal\onnxruntime\capi\...>"
!endif
!ifndef ADDON_FILES
  !error "pass the uninstaller's list of the add-on's files: makensis /DADDON_FILES=<.nsh of Delete lines> (scripts\package_windows.ps1 writes it)"
!endif
!ifndef VERSION_QUAD
  !define VERSION_QUAD "0.0.0.0"
!endif
!ifndef OUTFILE
  !define OUTFILE "GANime-Studio-CUDA-${VERSION}-setup.exe"
!endif

!define APP "GANime Studio"
!define ADDON "GANime Studio CUDA add-on"
!define PUBLISHER "GANime Studio contributors"
!define APP_UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\GANimeStudio"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\GANimeStudioCUDA"
!define CAPI "_internal\onnxruntime\capi"
!define ICON "${__FILEDIR__}\..\..\assets\icons\ganime-studio.ico"

Name "${ADDON} ${VERSION}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
SetCompressor /SOLID lzma
ManifestDPIAware true
BrandingText "${ADDON} ${VERSION}"

VIProductVersion "${VERSION_QUAD}"
VIAddVersionKey "ProductName" "${ADDON}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${ADDON} ${VERSION} installer"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "LegalCopyright" "${PUBLISHER} (MIT licence); ONNX Runtime: Microsoft (MIT licence)"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_WELCOMEPAGE_TEXT "This adds NVIDIA GPU (CUDA) support to ${APP} ${VERSION}.$\r$\n$\r$\nThe GPU also needs NVIDIA's driver and the CUDA and cuDNN libraries; without them ${APP} keeps colouring on the CPU and says why."
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Function .onInit
  SetShellVarContext current
  ReadRegStr $INSTDIR HKCU "${APP_UNINST_KEY}" "InstallLocation"
  ReadRegStr $0 HKCU "${APP_UNINST_KEY}" "DisplayVersion"
  ${If} $INSTDIR == ""
  ${OrIfNot} ${FileExists} "$INSTDIR\${CAPI}\*.*"
    MessageBox MB_ICONSTOP "${APP} is not installed for this user. Install ${APP} ${VERSION} first, then this add-on."
    Abort
  ${EndIf}
  ${If} $0 != "${VERSION}"
    MessageBox MB_ICONSTOP "This add-on is for ${APP} ${VERSION}, but ${APP} $0 is installed. Get the add-on that matches it."
    Abort
  ${EndIf}
FunctionEnd

Section "CUDA provider and GPU models" SecCuda
  SectionIn RO
  SetOutPath "$INSTDIR"
  File /r "${PAYLOAD}\*.*"
  WriteUninstaller "$INSTDIR\uninstall-cuda.exe"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${ADDON}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\GANime Studio.exe,0"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall-cuda.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall-cuda.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  ; Every file of the payload (the GPU providers and the GPU models), as package_windows.ps1 listed them.
  !include "${ADDON_FILES}"
  Delete "$INSTDIR\${CAPI}\onnxruntime_providers_cuda.dll"
  Delete "$INSTDIR\${CAPI}\onnxruntime_providers_tensorrt.dll"
  Delete "$INSTDIR\uninstall-cuda.exe"
  DeleteRegKey HKCU "${UNINST_KEY}"
SectionEnd
